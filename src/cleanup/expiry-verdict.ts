import type { CameraRecord } from "../config/load.ts";
import { eventCovers, type EventPadding, type EventSpan } from "../domain/event.ts";
import { modePasses, type RetainMode } from "../domain/retain.ts";

/**
 * Which stored recordings and events have outlived their retention (SPEC 4). Pure: rows,
 * events, settings and the time come in; verdicts go out. Times are UTC epoch seconds.
 */

export interface ExpiryRow {
  start_time: number;
  end_time: number;
  motion: number;
  objects: number;
  unjudged: boolean;
}

export type ExpiryRule =
  | "removed_camera" // its camera is no longer configured and it is older than the global days
  | "retention" // older than the camera's days and no live event holds it
  | "event_mode"; // held only by events, but events.retain.mode rejects it

/** How one camera's (or the removed cameras') recordings expire. */
export interface ExpiryPolicy {
  /** Recordings ending before this may go. */
  cutoff: number;
  padding: EventPadding;
  /** events.retain.mode; undefined for a removed camera (only indefinite events hold those). */
  eventMode?: RetainMode;
}

export function cameraPolicy(cam: CameraRecord, now: number): ExpiryPolicy {
  return { cutoff: now - cam.retain.days * 86_400, padding: cam.events, eventMode: cam.events.retain.mode };
}

export function removedCameraPolicy(globalDays: number, now: number): ExpiryPolicy {
  return { cutoff: now - globalDays * 86_400, padding: { pre_capture: 0, post_capture: 0 } };
}

/**
 * The verdict on one recording: the rule that deletes it, or null to keep it.
 * - Inside retention: kept.
 * - Overlapping an event retained indefinitely: kept whatever its motion (the user asked for
 *   the whole event), for removed cameras too.
 * - Overlapping another live event (with the pre/post padding of SPEC 3.6): kept when
 *   events.retain.mode passes; a segment stored unjudged counts as having motion and objects.
 * - Otherwise deleted.
 */
export function expireVerdict(row: ExpiryRow, events: readonly EventSpan[], policy: ExpiryPolicy): ExpiryRule | null {
  if (row.end_time >= policy.cutoff) return null;
  const holding = events.filter((e) => eventCovers(e, row.start_time, row.end_time, policy.padding));
  if (holding.some((e) => e.retain_indefinitely)) return null;
  if (policy.eventMode === undefined) return "removed_camera";
  if (!holding.length) return "retention";
  return modePasses(policy.eventMode, row) ? null : "event_mode";
}

/**
 * The label → days of event retention: an event stops holding recordings (has_clip becomes
 * false) once it ended more than its label's days ago, unless retained indefinitely. Events
 * still in progress never expire.
 */
export function eventRetentionCutoffs(cam: CameraRecord, now: number): { labels: Record<string, number>; otherLabels: number } {
  const retain = cam.events.retain;
  return {
    labels: Object.fromEntries(Object.entries(retain.objects).map(([label, days]) => [label, now - days * 86_400])),
    otherLabels: now - retain.default * 86_400,
  };
}

/** Has this event's clip retention run out (label days, else default; never while in progress or kept indefinitely)? */
export function eventExpired(
  e: { label: string; end_time: number | null; retain_indefinitely: boolean },
  cutoffs: ReturnType<typeof eventRetentionCutoffs>,
): boolean {
  if (e.retain_indefinitely || e.end_time === null) return false;
  return e.end_time < (cutoffs.labels[e.label] ?? cutoffs.otherLabels);
}
