/** Events and how they hold footage (docs/retention.md, 3.5, 3.6). Times are UTC epoch seconds. */

/** An event as every rule sees it. A null end_time means it is still in progress. */
export interface EventSpan {
  start_time: number;
  end_time: number | null;
  has_clip: boolean;
  retain_indefinitely: boolean;
}

/** Padding around an event: footage this long before its start and after its end belongs to it. */
export interface EventPadding {
  pre_capture: number;
  post_capture: number;
}

/**
 * Does an event hold the span [start, end]? It does when it has a clip and, padded by
 * pre_capture before and post_capture after, overlaps the span. An event still in
 * progress holds everything after its padded start.
 */
export function eventCovers(
  e: Omit<EventSpan, "retain_indefinitely">,
  start: number,
  end: number,
  pad: EventPadding,
): boolean {
  if (!e.has_clip) return false;
  return (
    e.start_time - pad.pre_capture <= end && (e.end_time === null || e.end_time + pad.post_capture >= start)
  );
}

/**
 * The moment after which a segment ending at `end` can be judged: an event starting up to
 * pre_capture after it would still hold it, so its activity and events are known only once
 * the camera's watermark passes end + pre_capture.
 */
export function readyAt(end: number, pad: Pick<EventPadding, "pre_capture">): number {
  return end + pad.pre_capture;
}
