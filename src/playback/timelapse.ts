import type { Recording } from "../db/schema.ts";
import { planFragment, type FragmentPlan } from "../media/mp4/fragment.ts";
import type { FootageBytes } from "../tiers/footage.ts";
import type { ClipPlan } from "./clip.ts";
import type { PlaybackMedia } from "./media.ts";
import { partLength, type Part } from "./parts.ts";

// A time-lapse (docs/api.md#time-lapse): the stored key frames of a span, evenly spaced, shown at
// a steady frame rate — built from the index like a clip, without decoding or encoding a frame.

/** Frames a second of the result: a key frame is taken every speed / FPS seconds of the span. */
export const TIMELAPSE_FPS = 25;

/**
 * The time-lapse of [start, end] at `speed` (the span's seconds per second of the result): the
 * first stored key frame at or after each step of speed / TIMELAPSE_FPS seconds, each shown for
 * 1 / TIMELAPSE_FPS s (a step with no key frame — a gap — is skipped, not held). Only segments that
 * hold a step are read. Undefined when none holds a key frame there, or the segments used do not
 * share one video configuration.
 */
export async function planTimelapse(
  rows: readonly Recording[],
  start: number,
  end: number,
  speed: number,
  playback: PlaybackMedia,
): Promise<ClipPlan | undefined> {
  const step = speed / TIMELAPSE_FPS;
  const fragments: { plan: FragmentPlan; bytes: FootageBytes }[] = [];
  let init: { bytes: Uint8Array; name: string } | undefined;
  let wanted = start;
  let shown = 0; // frames so far: the next fragment starts at shown / FPS
  const used: string[] = [];
  for (const row of rows) {
    if (row.end_time <= wanted || row.start_time >= end) continue;
    const media = await playback.of(row);
    const bytes = media && (await playback.bytes(row));
    const video = media?.keyTracks[0];
    if (!media || !bytes || !video) continue;
    if (init && init.name !== media.keyInit.name) return undefined;
    init ??= media.keyInit;
    const s = video.samples;
    const samples: number[] = [];
    for (let i = 0; i < s.count; i++) {
      const at = row.start_time + s.dts[i]! / video.timescale;
      if (!s.sync[i] || at < wanted) continue;
      if (at >= end) break;
      samples.push(i);
      while (wanted <= at) wanted += step;
    }
    if (!samples.length) continue;
    const tick = Math.round(video.timescale / TIMELAPSE_FPS);
    const plan = planFragment(media.keyTracks, {
      sequence: fragments.length + 1,
      startSeconds: shown / TIMELAPSE_FPS,
      chosen: { samples, durations: samples.map(() => tick) },
    });
    fragments.push({ plan, bytes });
    used.push(`${row.id}:${samples.join(",")}`);
    shown += samples.length;
  }
  if (!init || !fragments.length) return undefined;
  const parts: Part[] = [{ bytes: init.bytes }];
  for (const { plan, bytes } of fragments) {
    parts.push({ bytes: plan.head });
    for (const [a, b] of plan.ranges) parts.push({ footage: bytes, start: a, end: b });
  }
  const size = parts.reduce((n, p) => n + partLength(p), 0);
  const etag = new Bun.CryptoHasher("sha256")
    .update(JSON.stringify(["timelapse", used, start, end, speed, size]))
    .digest("hex")
    .slice(0, 32);
  return { parts, size, etag: `"${etag}"` };
}
