import { CONCAT_INPUT, concatList } from "../tiers/footage.ts";
import { run } from "../media/spawn.ts";

// A stored segment's first picture as a small JPEG: one ffmpeg run that decodes a key frame.

/**
 * The first key frame of the footage at `source` (a path or a tier's address, as
 * FootageLocator.source gives it), `height` pixels high; undefined when ffmpeg made none.
 */
export async function firstPicture(source: string, height: number): Promise<Uint8Array | undefined> {
  const r = await run(
    [
      "ffmpeg",
      "-nostdin",
      "-v",
      "error",
      "-skip_frame",
      "nokey",
      ...CONCAT_INPUT,
      "-frames:v",
      "1",
      "-vf",
      `scale=-2:${height}`,
      "-q:v",
      "5",
      "-f",
      "mjpeg",
      "pipe:1",
    ],
    10_000,
    concatList([{ source }]),
  );
  return r.code === 0 && r.bytes.length ? r.bytes : undefined;
}
