import type { OnvifConfig } from "../config/types.ts";
import { readSecretFile } from "../config/secret-file.ts";
import { logger } from "../log/log.ts";
import { OnvifClient, withCredentials } from "./client.ts";
import { OnvifError } from "./soap.ts";

// A camera's own stream address, asked over ONVIF, for a recorder given `onvif.stream` and no input.

const log = logger("onvif");

/** The camera's ONVIF password: inline, or read from its file (once per call). */
export function onvifPassword(o: OnvifConfig): string | undefined {
  return o.password ?? (o.passwordFile ? readSecretFile(o.passwordFile, log) : undefined);
}

/**
 * The RTSP address of the camera's main profile (the one with the most pixels) or its sub
 * profile (the fewest), with the credentials put in for ffmpeg (GetProfiles, GetStreamUri).
 */
export async function streamAddress(
  o: OnvifConfig & { stream: "main" | "sub" },
  signal?: AbortSignal,
): Promise<string> {
  const password = onvifPassword(o);
  const client = new OnvifClient({ host: o.host, port: o.port, user: o.user, password });
  await client.connect(signal);
  const profiles = (await client.profiles(signal)).sort(
    (a, b) => (b.width ?? 0) * (b.height ?? 0) - (a.width ?? 0) * (a.height ?? 0),
  );
  const chosen = o.stream === "main" ? profiles[0] : profiles.at(-1);
  if (!chosen) throw new OnvifError("the camera has no media profiles", "fault");
  return withCredentials(await client.streamUri(chosen.token, signal), o.user, password);
}
