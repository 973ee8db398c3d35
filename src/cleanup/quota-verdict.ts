import type { CameraRecord } from "../config/load.ts";
import { eventCovers, type EventSpan } from "../domain/event.ts";
import { ruleHolds, widestPadding, type RuleEvent } from "../domain/retain.ts";

/**
 * Per-camera quotas (record.max_size, docs/tiers.md). Pure: a camera's oldest rows, the events near
 * them and how far over its quota it is in; which rows go out. Its oldest footage goes first:
 * first what no event holds, then event footage; footage under an event retained
 * indefinitely never goes for a quota.
 */

export type Hold = "none" | "event" | "indefinite";

/** What holds a recording: an event kept indefinitely, another live event its rules take into account, or nothing. */
export function holdOf(
  row: { start_time: number; end_time: number },
  events: readonly (EventSpan & RuleEvent)[],
  cam: CameraRecord,
): Hold {
  const pad = widestPadding(cam.events);
  if (events.some((e) => e.retain_indefinitely && eventCovers(e, row.start_time, row.end_time, pad)))
    return "indefinite";
  return cam.events.some((r) =>
    events.some((e) => ruleHolds(r, e) && eventCovers(e, row.start_time, row.end_time, r)),
  )
    ? "event"
    : "none";
}

/**
 * Of a page of rows (oldest first), those of one kind of hold to delete so that `over` bytes
 * go. A quota run asks for "none" over all the camera's pages first, then for "event"; rows
 * held indefinitely are never asked for.
 */
export function pickForQuota<T extends { segment_size: number; hold: Hold }>(
  rows: readonly T[],
  over: number,
  hold: Exclude<Hold, "indefinite">,
): T[] {
  const picked: T[] = [];
  let freed = 0;
  for (const row of rows) {
    if (freed >= over) break;
    if (row.hold !== hold) continue;
    picked.push(row);
    freed += row.segment_size;
  }
  return picked;
}
