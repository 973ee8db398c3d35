// The periods with motion in a span of stored segments, for the review list and "next motion". Pure.

/** Segments with motion this close (seconds) belong to one period: a pause to breathe is not an end. */
export const MOTION_MERGE_S = 30;

export interface MotionPeriod {
  start: number;
  end: number;
  /** The largest motion of one of its segments (the motion score as stored). */
  peak: number;
}

/**
 * Periods of segments (by start) with motion > 0 and judged: an unjudged segment says nothing
 * of motion, so it neither starts nor ends a period.
 */
export function motionPeriods(
  segments: readonly { start_time: number; end_time: number; motion: number; unjudged: boolean }[],
  mergeGap = MOTION_MERGE_S,
): MotionPeriod[] {
  const out: MotionPeriod[] = [];
  for (const s of segments) {
    if (s.unjudged || !(s.motion > 0)) continue;
    const last = out.at(-1);
    if (last && s.start_time - last.end <= mergeGap) {
      last.end = Math.max(last.end, s.end_time);
      last.peak = Math.max(last.peak, s.motion);
    } else out.push({ start: s.start_time, end: s.end_time, peak: s.motion });
  }
  return out;
}
