import type { Recording } from "../db/schema.ts";
import { planFragment, windowStart, type FragmentPlan } from "../media/mp4/fragment.ts";
import { initSegment } from "../media/mp4/init.ts";
import type { Track } from "../media/mp4/tracks.ts";
import type { FootageBytes } from "../tiers/footage.ts";
import type { PlaybackMedia, SegmentMedia } from "./media.ts";
import { partLength, type Part } from "./parts.ts";

// An export built from the index: one fragmented MP4 of a span, its size known before a byte is read.

export interface ClipPlan {
  parts: Part[];
  size: number;
  /** Names the export's content: the same span of the same stored segments gives the same one. */
  etag: string;
}

/**
 * The export of [start, end] (docs/api.md): ftyp+moov (with an edit list to `start`), then a
 * fragment per stored segment — the first from the key frame at
 * or before `start`, the last up to the frames shown before `end` — all on one clock (gaps between
 * segments are left out). Media bytes are the stored ones. Undefined when the segments do not
 * share one codec configuration (ffmpeg's export takes those), or none can be read.
 */
export async function planClip(
  rows: readonly Recording[],
  start: number,
  end: number,
  playback: PlaybackMedia,
): Promise<ClipPlan | undefined> {
  const segments: { row: Recording; media: SegmentMedia; bytes: FootageBytes }[] = [];
  for (const row of rows) {
    const media = await playback.of(row);
    const bytes = media && (await playback.bytes(row));
    if (media && bytes) segments.push({ row, media, bytes });
  }
  if (!segments.length || new Set(segments.map((s) => s.media.init.name)).size > 1) return undefined;

  const tracks = segments[0]!.media.tracks;
  const video = tracks.findIndex((t) => t.handler === "vide");
  const fragments: { plan: FragmentPlan; bytes: FootageBytes }[] = [];
  // The clock starts late by the video's largest composition offset (its B-frame delay): a
  // fragment's first frame is decoded that long before it is shown, and decode times are
  // unsigned. The edit list moves by as much, so the export still shows `start` at 0.
  const lead = decodeLead(tracks);
  let clock = lead; // seconds on the export's clock where the next fragment's first frame is shown
  let startAt = 0;
  for (const [n, { row, media, bytes }] of segments.entries()) {
    const from = n === 0 ? Math.max(0, start - row.start_time) : undefined;
    const to =
      n === segments.length - 1 && end < row.start_time + media.duration ? end - row.start_time : undefined;
    const first = from === undefined ? 0 : windowStart(media.tracks, { from });
    if (n === 0) startAt = (from ?? 0) - first;
    const plan = planFragment(media.tracks, {
      sequence: n + 1,
      startSeconds: clock - first,
      window: { from: first, to },
      follow: fragments.at(-1)?.plan.ends,
    });
    fragments.push({ plan, bytes });
    // (the ticks used start at the key frame: they are what this fragment adds to the clock)
    clock += video >= 0 ? plan.ticks[video]! / tracks[video]!.timescale : media.duration - first;
  }

  // No sidx: one indexing the video alone misleads demuxers about the audio (ffmpeg's does).
  const parts: Part[] = [{ bytes: initSegment(tracks, { startAt: startAt + lead }) }];
  for (const { plan, bytes } of fragments) {
    parts.push({ bytes: plan.head });
    for (const [a, b] of plan.ranges) parts.push({ footage: bytes, start: a, end: b });
  }
  const size = parts.reduce((n, p) => n + partLength(p), 0);
  const etag = new Bun.CryptoHasher("sha256")
    .update(JSON.stringify([segments.map((s) => [s.row.id, s.row.segment_size]), start, end, size]))
    .digest("hex")
    .slice(0, 32);
  return { parts, size, etag: `"${etag}"` };
}

/** How long before it is shown a video frame may be decoded (seconds): the largest composition offset. */
function decodeLead(tracks: readonly Track[]): number {
  let lead = 0;
  for (const t of tracks) {
    if (t.handler !== "vide") continue;
    let most = 0;
    for (let i = 0; i < t.samples.count; i++) most = Math.max(most, t.samples.cto[i]!);
    lead = Math.max(lead, most / t.timescale);
  }
  return lead;
}
