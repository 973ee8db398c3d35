import { sha256OfFile } from "./hash.ts";
import type { MediaEngine, Probe } from "./engine.ts";
import { run } from "./spawn.ts";

// The ffmpeg media engine: ffprobe for durations, ffmpeg for the moov-first copy.

export interface FfmpegOptions {
  ffprobe?: string;
  ffmpeg?: string;
  probeTimeoutMs?: number;
  copyTimeoutMs?: number;
}

/**
 * ffprobe's complaints that are about the machine, not the file: with these it read nothing
 * of the content, so its exit status says nothing of it.
 */
const NOT_ABOUT_THE_FILE =
  /No such file|Permission denied|Too many open files|Cannot allocate memory|Input\/output error|No space left/i;

/** The media step through spawned ffprobe/ffmpeg processes. */
export function ffmpegEngine(opts: FfmpegOptions = {}): MediaEngine {
  const ffprobe = opts.ffprobe ?? "ffprobe";
  const ffmpeg = opts.ffmpeg ?? "ffmpeg";
  const probeTimeoutMs = opts.probeTimeoutMs ?? 15_000;
  const copyTimeoutMs = opts.copyTimeoutMs ?? 120_000;
  return {
    async probeDuration(path): Promise<Probe> {
      let r: Awaited<ReturnType<typeof run>>;
      try {
        r = await run(
          [
            ffprobe,
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
            path,
          ],
          probeTimeoutMs,
        );
      } catch (e) {
        return { kind: "failed", reason: `ffprobe could not start: ${(e as Error).message}` };
      }
      if (r.timedOut) return { kind: "failed", reason: `ffprobe timed out after ${probeTimeoutMs} ms` };
      if (r.code === null) return { kind: "failed", reason: "ffprobe was killed" };
      const said = r.stderr.trim().split("\n").at(-1) ?? "";
      if (r.code !== 0)
        return NOT_ABOUT_THE_FILE.test(r.stderr)
          ? { kind: "failed", reason: `ffprobe: ${said}` }
          : { kind: "invalid", reason: `ffprobe: ${said || `exit ${r.code}`}` };
      const value = Number.parseFloat(r.stdout.trim());
      return Number.isFinite(value)
        ? { kind: "ok", duration: value }
        : { kind: "invalid", reason: "ffprobe found no duration" };
    },
    async faststartCopy(src, dst) {
      const r = await run(
        [
          ffmpeg,
          "-nostdin",
          "-v",
          "error",
          "-y",
          "-i",
          src,
          "-map",
          "0",
          "-ignore_unknown",
          "-c",
          "copy",
          "-movflags",
          "+faststart",
          "-f",
          "mp4",
          dst,
        ],
        copyTimeoutMs,
      );
      if (r.code !== 0) {
        throw new Error(
          r.timedOut
            ? `ffmpeg timed out after ${copyTimeoutMs} ms`
            : `ffmpeg exited ${r.code}: ${r.stderr.trim()}`,
        );
      }
      // ffmpeg wrote the file: hashing it is a second read, on this path only (the native
      // copy hashes as it writes).
      return sha256OfFile(dst);
    },
  };
}
