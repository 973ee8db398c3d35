import type { CameraRecord } from "../config/load.ts";
import { eventCovers, type EventSpan } from "../domain/event.ts";
import {
  modePasses,
  ruleHolds,
  widestPadding,
  type ContinuousRule,
  type EventRule,
  type RuleEvent,
  type Severity,
} from "../domain/retain.ts";

/**
 * Which stored recordings and events have outlived their retention (docs/retention.md; the reference's shapes: docs/configuration.md). Pure: rows,
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
  | "retention" // no rule keeps it any more: past its days, and no live event holds it
  | "event_mode"; // held only by events, but their rules' modes reject it

/** How one camera's (or the removed cameras') recordings expire. */
export interface ExpiryPolicy {
  now: number;
  /** Only recordings starting before this can go: everything newer is kept as a whole by a continuous rule. */
  scanBefore: number;
  continuous: readonly ContinuousRule[];
  /** The camera's event rules; undefined for a removed camera (only indefinite events hold those). */
  events?: readonly EventRule[];
}

/** A rule that keeps everything inside its days bounds what expiry needs to read. */
function scanBefore(rules: readonly ContinuousRule[], now: number): number {
  return now - Math.max(0, ...rules.filter((r) => !r.recheck).map((r) => r.days)) * 86_400;
}

export function cameraPolicy(cam: CameraRecord, now: number): ExpiryPolicy {
  return { now, scanBefore: scanBefore(cam.continuous, now), continuous: cam.continuous, events: cam.events };
}

/** Removed cameras keep what the global continuous rules keep (and what indefinite events hold). */
export function removedCameraPolicy(defaults: CameraRecord, now: number): ExpiryPolicy {
  return { now, scanBefore: scanBefore(defaults.continuous, now), continuous: defaults.continuous };
}

/**
 * The verdict on one recording: the rule that deletes it, or null to keep it.
 * - Inside a continuous rule's days (and, for the 0.15 shape's motion days, with motion): kept.
 * - Overlapping an event retained indefinitely: kept whatever its motion (the user asked for
 *   the whole event), for removed cameras too.
 * - Held by an event rule — an event it takes into account (severity, label, zones), still
 *   kept, overlapping the recording with that rule's padding (docs/retention.md) — whose mode passes:
 *   kept; a segment stored unjudged counts as having motion and objects.
 * - Otherwise deleted.
 */
export function expireVerdict(
  row: ExpiryRow,
  events: readonly (EventSpan & RuleEvent)[],
  policy: ExpiryPolicy,
): ExpiryRule | null {
  const cutoffOf = (days: number) => policy.now - days * 86_400;
  if (
    policy.continuous.some(
      (r) => r.days > 0 && row.end_time >= cutoffOf(r.days) && (!r.recheck || modePasses(r.mode, row)),
    )
  )
    return null;
  const pad = widestPadding(policy.events ?? []);
  if (events.some((e) => e.retain_indefinitely && eventCovers(e, row.start_time, row.end_time, pad)))
    return null;
  if (!policy.events) return "removed_camera";
  const holding = policy.events.filter((r) =>
    events.some((e) => ruleHolds(r, e) && eventCovers(e, row.start_time, row.end_time, r)),
  );
  if (!holding.length) return "retention";
  return holding.some((r) => modePasses(r.mode, row)) ? null : "event_mode";
}

/** The rules that decide how long an event of this severity is kept (labels and zones aside). */
function rulesForSeverity(rules: readonly EventRule[], severity: Severity | null): EventRule[] {
  return rules.filter((r) => !r.severity || (severity ?? "alert") === r.severity);
}

/** Days an event holds footage after it ended: its label's days, else its rule's (the longest, if several). */
export function eventKeepDays(
  rules: readonly EventRule[],
  e: { label: string; severity: Severity | null },
): number {
  return Math.max(0, ...rulesForSeverity(rules, e.severity).map((r) => r.objects[e.label] ?? r.days));
}

/** Has this event's clip retention run out (never while in progress or kept indefinitely)? */
export function eventExpired(
  e: { label: string; severity: Severity | null; end_time: number | null; retain_indefinitely: boolean },
  rules: readonly EventRule[],
  now: number,
): boolean {
  if (e.retain_indefinitely || e.end_time === null) return false;
  return e.end_time < now - eventKeepDays(rules, e) * 86_400;
}
