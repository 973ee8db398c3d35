import { CAMERA_NAME } from "../config/schema.ts";
import { instantsForWallTime } from "../time/zone.ts";

/**
 * Cache file names (docs/recorders.md):
 *   <camera>-<YYYYmmddHHMMSS>.mp4              wall time in record.cache_timezone
 *   <camera>@<YYYYmmddHHMMSS><+hhmm|-hhmm>.mp4   the offset in the name wins
 * The camera is everything before the last '-' (or the '@'); names may hold '-' and '_'.
 */
export type SegmentName =
  | { kind: "segment"; camera: string; wallMs: number; offsetMs?: number }
  | { kind: "clip" } // a temporary export clip (clip_*)
  | { kind: "invalid"; reason: string };

const STAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const WITH_OFFSET = /^(.+)@(\d{14})([+-])(\d{2})(\d{2})\.mp4$/;
const PLAIN = /^(.+)-(\d{14})\.mp4$/;

export function parseSegmentName(file: string): SegmentName {
  if (file.startsWith("clip_")) return { kind: "clip" };
  const withOffset = WITH_OFFSET.exec(file);
  const plain = withOffset ? null : PLAIN.exec(file);
  const m = withOffset ?? plain;
  if (!m) return { kind: "invalid", reason: "not named <camera>-<YYYYmmddHHMMSS>.mp4" };
  const camera = m[1]!;
  if (!CAMERA_NAME.test(camera))
    return {
      kind: "invalid",
      reason: `camera name "${camera}" has characters other than letters, digits, '-' and '_'`,
    };
  const wallMs = parseStamp(m[2]!);
  if (wallMs === undefined) return { kind: "invalid", reason: `"${m[2]}" is not a valid date and time` };
  if (!withOffset) return { kind: "segment", camera, wallMs };
  const hours = Number(m[4]),
    minutes = Number(m[5]);
  if (hours > 14 || minutes > 59)
    return { kind: "invalid", reason: `UTC offset ${m[3]}${m[4]}${m[5]} is out of range` };
  const sign = m[3] === "-" ? -1 : 1;
  return { kind: "segment", camera, wallMs, offsetMs: sign * (hours * 60 + minutes) * 60_000 };
}

function parseStamp(stamp: string): number | undefined {
  const [, y, mo, d, h, mi, s] = STAMP.exec(stamp)!.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(ms);
  // Reject 2026-02-30 and 25:00 rather than letting Date roll them over.
  if (
    back.getUTCMonth() !== mo! - 1 ||
    back.getUTCDate() !== d! ||
    back.getUTCHours() !== h! ||
    back.getUTCMinutes() !== mi! ||
    back.getUTCSeconds() !== s! ||
    y! < 1970
  )
    return undefined;
  return ms;
}

/**
 * The segment's start as UTC epoch ms. A name with an offset is exact. A local-time name in a
 * repeated hour (DST fall-back) has two readings: take the latest one that is not after the
 * file's last write (a segment is written after it starts), and never one at or before the
 * previous segment of the same camera — never overwrite by guessing.
 */
export function segmentStartMs(
  name: Extract<SegmentName, { kind: "segment" }>,
  zone: string,
  hints: { mtimeMs?: number; previousStartMs?: number } = {},
): number {
  if (name.offsetMs !== undefined) return name.wallMs - name.offsetMs;
  const readings = instantsForWallTime(name.wallMs, zone);
  if (readings.length === 1) return readings[0]!;
  let candidates = readings;
  if (hints.previousStartMs !== undefined) {
    const after = candidates.filter((t) => t > hints.previousStartMs!);
    if (after.length) candidates = after;
  }
  if (hints.mtimeMs !== undefined) {
    const written = candidates.filter((t) => t <= hints.mtimeMs! + 1000);
    if (written.length) return written[written.length - 1]!;
  }
  return candidates[0]!;
}
