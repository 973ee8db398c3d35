import type { MediaEngine } from "./engine.ts";
import { run } from "./spawn.ts";

export interface FfmpegOptions {
  ffprobe?: string;
  ffmpeg?: string;
  probeTimeoutMs?: number;
  copyTimeoutMs?: number;
}

/** The media step through spawned ffprobe/ffmpeg processes. */
export function ffmpegEngine(opts: FfmpegOptions = {}): MediaEngine {
  const ffprobe = opts.ffprobe ?? "ffprobe";
  const ffmpeg = opts.ffmpeg ?? "ffmpeg";
  const probeTimeoutMs = opts.probeTimeoutMs ?? 15_000;
  const copyTimeoutMs = opts.copyTimeoutMs ?? 120_000;
  return {
    async probeDuration(path) {
      const r = await run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path],
        probeTimeoutMs,
      );
      const value = Number.parseFloat(r.stdout.trim());
      return r.code === 0 && Number.isFinite(value) ? value : null;
    },
    async faststartCopy(src, dst) {
      const r = await run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", src, "-map", "0", "-ignore_unknown", "-c", "copy",
         "-movflags", "+faststart", "-f", "mp4", dst],
        copyTimeoutMs,
      );
      if (r.code !== 0) {
        throw new Error(r.timedOut ? `ffmpeg timed out after ${copyTimeoutMs} ms` : `ffmpeg exited ${r.code}: ${r.stderr.trim()}`);
      }
    },
  };
}
