// Where playback goes on when the buffer has a hole where the playhead is. Pure.

/** Within this of the end of its buffered range (or in none), a playhead that stopped is at a hole. */
export const AT_HOLE_S = 0.3;

/**
 * The start of the next buffered range after media time `t`, when `t` is at a hole: in no
 * range, or within AT_HOLE_S of its range's end. Browsers halt before a gap at their own
 * distance from its nominal edge (Chromium a few hundredths of a second early; WebKit leaves
 * holes of its own), so the buffered ranges, not the playlist, say where footage goes on.
 */
export function nextBufferedStart(
  ranges: readonly [number, number][],
  t: number,
  near = AT_HOLE_S,
): number | undefined {
  const i = ranges.findIndex(([a, b]) => t >= a - 0.001 && t <= b);
  if (i >= 0 && ranges[i]![1] - t > near) return undefined; // playing well inside a range
  return ranges.find(([a]) => a > t + 0.001)?.[0];
}

/**
 * Where to seek to show media time `m` in the keyframe view: `m` inside a buffered range, else
 * the start of the last range before it — its key frame. WebKit buffers each key frame for a
 * frame's time only (the stream's frame rate, not the sample's duration), and a seek between
 * two of them would never complete.
 */
export function seekableAt(ranges: readonly [number, number][], m: number): number {
  if (ranges.some(([a, b]) => m >= a && m < b)) return m;
  let at = m;
  for (const [a] of ranges) if (a <= m) at = a;
  return at;
}

/** A TimeRanges as pairs. */
export function rangesOf(r: TimeRanges): [number, number][] {
  return Array.from({ length: r.length }, (_, i) => [r.start(i), r.end(i)] as [number, number]);
}
