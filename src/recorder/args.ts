import { join } from "node:path";
import type { RecorderConfig } from "../config/load.ts";

/**
 * The ffmpeg command line of a camera's recorder (docs/recorders.md): the input copied, not re-encoded,
 * into `<cache>/<camera>-<YYYYmmddHHMMSS>.mp4` segments (docs/recorders.md naming; run with TZ=UTC).
 * Extra input options go before -i; extra output options go after the defaults (naming a codec
 * there, e.g. "-c:v libx264" for a source that cannot be copied into MP4, replaces "-c copy").
 */
export function recorderArgs(
  camera: string,
  rec: RecorderConfig,
  cacheDir: string,
  ffmpeg = "ffmpeg",
): string[] {
  return [
    ffmpeg,
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "warning",
    ...inputOptions(rec.input),
    ...rec.inputArgs,
    "-i",
    rec.input,
    "-map",
    "0:v",
    "-map",
    "0:a?",
    ...(rec.outputArgs.some((a) => /^-(c|codec|[av]codec)(:|$)/.test(a)) ? [] : ["-c", "copy"]),
    "-f",
    "segment",
    "-segment_time",
    String(rec.segmentTime),
    "-segment_format",
    "mp4",
    "-reset_timestamps",
    "1",
    "-strftime",
    "1",
    ...rec.outputArgs,
    join(cacheDir, `${camera}-%Y%m%d%H%M%S.mp4`),
  ];
}

/** Sensible defaults per kind of input: RTSP over TCP (no smeared frames on lossy Wi-Fi), with a socket timeout. */
function inputOptions(input: string): string[] {
  if (/^rtsps?:\/\//i.test(input)) return ["-rtsp_transport", "tcp", "-timeout", "10000000"]; // µs
  return [];
}

/** How long a recorder may go without a new segment being written before it counts as stalled. */
export function watchdogSeconds(segmentTime: number): number {
  return Math.max(120, 2 * segmentTime + 30);
}
