// The moments of a day worth looking at (events, motion periods), and how to step between them. Pure.

export interface Moment {
  kind: "event" | "motion";
  start: number;
  end: number;
  label: string;
  /** The event's id (events only). */
  id?: string;
}

/** Events and motion periods in order of start. */
export function moments(
  events: readonly { id: string; label: string; start_time: number; end_time: number | null }[],
  periods: readonly { start: number; end: number }[],
  now: number,
): Moment[] {
  return [
    ...events.map((e) => ({
      kind: "event" as const,
      start: e.start_time,
      end: e.end_time ?? now,
      label: e.label,
      id: e.id,
    })),
    ...periods.map((p) => ({ kind: "motion" as const, start: p.start, end: p.end, label: "motion" })),
  ].sort((a, b) => a.start - b.start || (a.kind === "event" ? -1 : 1));
}

/**
 * The start of the next (`dir` 1) or previous (-1) moment of `kind` from `t`. "Previous"
 * skips the moment just started (within 3 s), as a player's "back" does.
 */
export function stepMoment(
  list: readonly Moment[],
  kind: Moment["kind"],
  t: number,
  dir: 1 | -1,
): number | undefined {
  const starts = list.filter((m) => m.kind === kind).map((m) => m.start);
  return dir > 0 ? starts.find((s) => s > t + 0.5) : starts.findLast((s) => s < t - 3);
}
