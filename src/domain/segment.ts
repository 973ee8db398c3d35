/** What makes a segment's length believable, shared by the keeper, reconcile, expiry and queries. */

/** Longest plausible segment, in seconds; anything else is corrupt (docs/retention.md). */
export const MAX_SEGMENT_SECONDS = 600;

/** A probed duration a segment can really have: more than 0 and under MAX_SEGMENT_SECONDS. */
export function plausibleDuration(seconds: number): boolean {
  return seconds > 0 && seconds < MAX_SEGMENT_SECONDS;
}
