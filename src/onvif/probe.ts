import { redact } from "../log/redact.ts";
import { OnvifClient, type OnvifTarget } from "./client.ts";
import { OnvifError } from "./soap.ts";
import { offeredTopics, PullPoint } from "./subscription.ts";
import { normaliseTopic, readNotifications } from "./topics.ts";
import { text } from "./soap.ts";

// `camkeep onvif`: what a user needs to set a camera up, asked of the camera itself.

/**
 * Prints the camera's maker, model and firmware, its clock's offset, each profile with its
 * resolution and stream address (credentials hidden), the event topics it offers, and —
 * with `watchSeconds` — every event it sends meanwhile, with what camkeep makes of it.
 */
export async function probeCamera(
  target: OnvifTarget,
  watchSeconds: number,
  out: (line: string) => void,
): Promise<void> {
  const client = new OnvifClient(target);
  await client.connect();
  const info = await client
    .deviceInformation()
    .catch((e: Error) => ({ error: e.message }) as Record<string, string>);
  out(`camera:    ${info.Manufacturer ?? "?"} ${info.Model ?? ""}${info.error ? ` (${info.error})` : ""}`);
  out(`firmware:  ${info.FirmwareVersion ?? "?"}`);
  const offset = client.offsetMs / 1000;
  out(
    `clock:     ${Math.abs(offset) < 1 ? "in step with this machine" : `${Math.abs(offset).toFixed(1)} s ${offset > 0 ? "ahead of" : "behind"} this machine (camkeep corrects for it)`}`,
  );
  out(`services:  events ${client.events ?? "none"}; media ${client.media ?? "none"}`);
  try {
    const profiles = await client.profiles();
    out("profiles:");
    for (const p of profiles) {
      const uri = await client.streamUri(p.token).catch((e: Error) => `(no address: ${e.message})`);
      out(
        `  ${p.name} (${p.token}): ${p.encoding ?? "?"} ${p.width ?? "?"}x${p.height ?? "?"}  ${redact(uri)}`,
      );
    }
  } catch (e) {
    out(`profiles:  cannot be read (${(e as Error).message})`);
  }
  if (!client.events) return out("events:    the camera offers none");
  const topics = await offeredTopics(client).catch((e: Error) => [`(cannot be read: ${e.message})`]);
  out("topics:");
  for (const t of topics) out(`  ${t}`);
  if (!(watchSeconds > 0)) return;
  out(`watching for ${watchSeconds} s…`);
  const sub = await PullPoint.create(client, Math.max(60, watchSeconds + 30));
  const until = Date.now() + watchSeconds * 1000;
  try {
    while (Date.now() < until) {
      const wait = Math.max(1, Math.min(10, Math.round((until - Date.now()) / 1000)));
      const messages = await sub.pull(wait, 100);
      const { heard } = readNotifications(messages);
      for (const m of messages) {
        const topic = normaliseTopic(text(m?.Topic) ?? "");
        const h = heard.find((x) => x.source.startsWith(`${topic}|`));
        const meaning = h
          ? `${h.meaning} ${h.pulse ? "(a moment)" : h.value ? "on" : "off"}`
          : "no meaning for camkeep";
        const initial =
          m?.Message?.Message?.["@PropertyOperation"] === "Initialized" ? " (its state now)" : "";
        out(`  ${new Date().toISOString().slice(11, 19)}  ${topic}: ${meaning}${initial}`);
      }
    }
  } finally {
    await sub.unsubscribe().catch(() => {});
  }
}

/** The command's arguments read: --host, --port, --user, --password-file, --watch. */
export function probeArgs(
  args: string[],
  readSecret: (path: string) => string,
): { target: OnvifTarget; watch: number } {
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    if (at < 0) return undefined;
    const v = args[at + 1];
    if (v === undefined || v.startsWith("--")) throw new OnvifError(`${flag} needs a value`, "fault");
    return v;
  };
  const host = value("--host");
  if (!host) throw new OnvifError("--host is needed (the camera's address)", "fault");
  const port = Number(value("--port") ?? 80);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new OnvifError("--port must be 1-65535", "fault");
  const watch = Number(value("--watch") ?? 0);
  if (!(watch >= 0)) throw new OnvifError("--watch must be a number of seconds", "fault");
  const file = value("--password-file");
  return {
    target: { host, port, user: value("--user"), password: file ? readSecret(file) : undefined },
    watch,
  };
}
