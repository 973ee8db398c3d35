// Which stored segments play as one continuous run, and each one's place on the run's clock. Pure.

/** Segments that touch closer than this (a gap or an overlap, seconds) play as one run. */
export const TOUCHING_S = 0.5;

/** A stored segment as playback sees it: where it starts, how long it plays, and the init it needs. */
export interface PlayableSegment {
  id: string;
  start: number;
  duration: number;
  /** The name of its init segment (initName): a different one starts a new run. */
  init: string;
}

/** A segment in a run: `at` is where its first frame is shown on the run's clock (seconds). */
export interface RunSegment extends PlayableSegment {
  at: number;
}

export interface Run {
  init: string;
  /**
   * A segment from which the run's init segment can be made again: the first of the segments
   * planned together that needs it, so every run of one init names it by one URL (a player
   * fetches it once).
   */
  initFrom: string;
  segments: RunSegment[];
}

/**
 * Splits segments (by start) into runs: each next one touching the last (within TOUCHING_S)
 * and needing the same init continues it, and follows it on the run's clock exactly — the
 * first segment of a run starts at its own start, each next one where the previous ended — so
 * no frame is shown twice or skipped. A real gap, an overlap, or another init starts a new run.
 */
export function planRuns(segments: readonly PlayableSegment[]): Run[] {
  const runs: Run[] = [];
  const firstOf = new Map<string, string>();
  for (const s of segments) {
    if (!firstOf.has(s.init)) firstOf.set(s.init, s.id);
    const run = runs.at(-1);
    const last = run?.segments.at(-1);
    if (
      run &&
      last &&
      last.init === s.init &&
      Math.abs(s.start - (last.start + last.duration)) < TOUCHING_S
    ) {
      run.segments.push({ ...s, at: last.at + last.duration });
    } else {
      runs.push({ init: s.init, initFrom: firstOf.get(s.init)!, segments: [{ ...s, at: s.start }] });
    }
  }
  return runs;
}
