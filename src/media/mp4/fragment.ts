import type { Track } from "./tracks.ts";
import { BoxWriter } from "./write.ts";

// One stored segment as a fragment of fragmented MP4: a moof made from its sample tables, then
// its media bytes as they are in the file (docs/design.md#footage-back).

/** What to send for a fragment: `head` (moof and the mdat header), then the file's `ranges`, in order. */
export interface FragmentPlan {
  head: Uint8Array;
  ranges: [start: number, end: number][];
  /** Bytes in all: head and ranges. */
  size: number;
  /** Each track's samples used, their durations summed (ticks of the track's timescale). */
  ticks: number[];
  /** Where each track's samples end on the fragment's clock (ticks): what the next fragment may `follow`. */
  ends: number[];
}

/** sample_flags: a sync sample depends on no other; any other does, and is not a sync sample. */
const SYNC_FLAGS = 0x02000000;
const OTHER_FLAGS = 0x01010000;
/** tfhd: offsets are from the moof's start. trun: data offset, duration, size, flags, composition offset. */
const DEFAULT_BASE_IS_MOOF = 0x020000;
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;

interface Picked {
  /** Indexes of the track's samples used, in decode order. */
  samples: number[];
  durations: number[];
}

/**
 * The fragment of `tracks` whose first shown frame is at `startSeconds` (its decode times are
 * the wall clock's, in each track's timescale). `keyframesOnly`: only the sync samples of the
 * video tracks, each shown until the next (trick play); other tracks are left out.
 */
export function planFragment(
  tracks: readonly Track[],
  opts: {
    sequence: number;
    startSeconds: number;
    keyframesOnly?: boolean;
    window?: SampleWindow;
    /**
     * Where the previous fragment's samples of each track ended (ticks, its `ends`). A track
     * other than video then continues from there: samples lying mostly before it are left out
     * and a start within half a sample of it is moved onto it, so that audio, whose segments
     * run a little longer than their video, neither overlaps nor leaves holes (docs/design.md#footage-back).
     */
    follow?: readonly number[];
    /**
     * The video samples to use and how long each is shown (ticks), chosen by the caller (a
     * time-lapse's key frames, evenly spaced); other tracks are left out.
     */
    chosen?: { samples: number[]; durations: number[] };
  },
): FragmentPlan {
  const none = { samples: [], durations: [] };
  const picked = tracks.map((t) =>
    opts.chosen
      ? t.handler === "vide"
        ? { samples: [...opts.chosen.samples], durations: [...opts.chosen.durations] }
        : none
      : pick(
          t,
          opts.keyframesOnly ?? false,
          opts.window && windowStart(tracks, opts.window),
          opts.window?.to,
        ),
  );
  // Decode times are counted from the first sample used: its own dts starts the fragment (chosen
  // samples are shown on a clock of their own, from `startSeconds`).
  const decodeStarts = tracks.map((t, k) => {
    const p = picked[k]!;
    const first = opts.chosen ? 0 : (t.samples.dts[p.samples[0]!] ?? 0);
    let start = Math.round(opts.startSeconds * t.timescale) + t.presentationShift + first;
    const after = opts.follow?.[k];
    if (after === undefined || t.handler === "vide") return start;
    while (p.samples.length > 1 && start + p.durations[0]! / 2 <= after) {
      start += p.durations[0]!;
      p.samples.shift();
      p.durations.shift();
    }
    return p.durations.length && Math.abs(start - after) < p.durations[0]! / 2 ? after : start;
  });
  // The media bytes used, as ranges of the file: contiguous samples (of any track) form one.
  const used = picked.flatMap((p, k) =>
    p.samples.map((i) => [tracks[k]!.samples.offset[i]!, tracks[k]!.samples.size[i]!] as const),
  );
  used.sort((a, b) => a[0] - b[0]);
  const ranges: [number, number][] = [];
  for (const [offset, size] of used) {
    const last = ranges.at(-1);
    if (last && offset === last[1]) last[1] = offset + size;
    else if (!last || offset >= last[1]) ranges.push([offset, offset + size]);
    else throw new Error("samples overlap in the file"); // inspectMp4 lets no such file through
  }
  const starts: number[] = [];
  let payload = 0;
  for (const [a, b] of ranges) {
    starts.push(payload);
    payload += b - a;
  }
  const positionOf = (offset: number) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ranges[mid]![0] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo]! + (offset - ranges[lo]![0]);
  };

  // Each track's samples in runs that lie one after another in the payload: one trun each.
  const runs = picked.map((p, k) => {
    const s = tracks[k]!.samples;
    const out: { first: number; items: number[] }[] = [];
    let next = -1;
    p.samples.forEach((i, n) => {
      const at = positionOf(s.offset[i]!);
      if (at !== next || !out.length) out.push({ first: at, items: [] });
      out.at(-1)!.items.push(n);
      next = at + s.size[i]!;
    });
    return out;
  });
  const mdatHeader = payload + 8 < 2 ** 32 ? 8 : 16;
  // (traf: header, tfhd, tfdt, then each trun: its header, count, data offset, 16 bytes a sample)
  const trafSize = (r: (typeof runs)[number]) =>
    8 + 16 + 20 + r.reduce((m, run) => m + 20 + 16 * run.items.length, 0);
  const moofSize = 8 + 16 + runs.reduce((n, r) => n + (r.length ? trafSize(r) : 0), 0);

  // Written in place into one buffer: a fragment has hundreds of samples, four fields each.
  const head = new Uint8Array(moofSize + mdatHeader);
  const out = new BoxWriter(head);
  out.box(moofSize, "moof");
  out.fullBox(16, "mfhd", 0, 0);
  out.u32(opts.sequence);
  tracks.forEach((t, k) => {
    const p = picked[k]!;
    if (!p.samples.length) return;
    const s = t.samples;
    out.box(trafSize(runs[k]!), "traf");
    out.fullBox(16, "tfhd", 0, DEFAULT_BASE_IS_MOOF);
    out.u32(t.id);
    out.fullBox(20, "tfdt", 1, 0);
    out.u64(decodeStarts[k]!);
    for (const run of runs[k]!) {
      out.fullBox(20 + 16 * run.items.length, "trun", 1, TRUN_FLAGS);
      out.u32(run.items.length);
      out.i32(moofSize + mdatHeader + run.first);
      for (const n of run.items) {
        const i = p.samples[n]!;
        out.u32(p.durations[n]!);
        out.u32(s.size[i]!);
        out.u32(s.sync[i] ? SYNC_FLAGS : OTHER_FLAGS);
        out.i32(s.cto[i]!);
      }
    }
  });
  if (out.at !== moofSize) throw new Error(`moof is ${out.at} bytes, planned ${moofSize}`);
  if (mdatHeader === 8) out.box(payload + 8, "mdat");
  else {
    out.box(1, "mdat"); // size 1: the 64-bit size follows the type
    out.u64(payload + 16);
  }
  const ticks = picked.map((p) => p.durations.reduce((n, d) => n + d, 0));
  return {
    head,
    ranges,
    size: head.length + payload,
    ticks,
    ends: ticks.map((n, k) => decodeStarts[k]! + n),
  };
}

/**
 * A part of a segment, in seconds of its own presentation (0: its first frame shown): from the
 * key frame at or before `from`, up to the frames shown before `to` (and what they are decoded
 * from). Undefined ends: the segment's own.
 */
export interface SampleWindow {
  from?: number;
  to?: number;
}

/** When a sample is shown, seconds into its segment. */
export const shownAt = (t: Track, i: number) =>
  (t.samples.dts[i]! + t.samples.cto[i]! + t.presentationShift) / t.timescale;

/** Where a window really starts: the video's key frame at or before its `from` (0 without video or `from`). */
export function windowStart(tracks: readonly Track[], w: SampleWindow): number {
  const video = tracks.find((t) => t.handler === "vide");
  if (!video || w.from === undefined) return 0;
  let at = 0;
  for (let i = 0; i < video.samples.count; i++) {
    if (video.samples.sync[i] && shownAt(video, i) <= w.from + 1e-6) at = Math.max(at, shownAt(video, i));
  }
  return at;
}

/** The samples of a track a fragment uses, and how long each is shown. */
function pick(t: Track, keyframesOnly: boolean, from = 0, to = Infinity): Picked {
  const s = t.samples;
  if (from > 0 || to < Infinity) {
    // Decode order: from the first sample shown at or after `from` (the video's key frame), up
    // to the last one shown before `to` — frames it needs that are shown later come along.
    let first = 0;
    while (first < s.count && shownAt(t, first) < from - 1e-6) first++;
    let last = -1;
    for (let i = first; i < s.count; i++) if (shownAt(t, i) < to - 1e-6) last = i;
    const samples = Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => first + k);
    return { samples, durations: samples.map((i) => s.duration[i]!) };
  }
  if (!keyframesOnly)
    return { samples: Array.from({ length: s.count }, (_, i) => i), durations: Array.from(s.duration) };
  if (t.handler !== "vide") return { samples: [], durations: [] };
  const samples: number[] = [];
  for (let i = 0; i < s.count; i++) if (s.sync[i]) samples.push(i);
  const end = s.count ? s.dts[s.count - 1]! + s.duration[s.count - 1]! : 0;
  const durations = samples.map(
    (i, n) => (n + 1 < samples.length ? s.dts[samples[n + 1]!]! : end) - s.dts[i]!,
  );
  return { samples, durations };
}
