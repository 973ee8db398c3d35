/** Retention modes (docs/retention.md): which segments a rule keeps. */

export const RETAIN_MODES = ["all", "motion", "active_objects"] as const;
export type RetainMode = (typeof RETAIN_MODES)[number];

/** What a segment showed. An unjudged segment (no activity reported, docs/retention.md) counts as having both. */
export interface Judged {
  motion: number;
  objects: number;
  unjudged: boolean;
}

/** Does a segment pass a mode? `all` always; `motion`/`active_objects` need some, or no judgement at all. */
export function modePasses(mode: RetainMode, s: Judged): boolean {
  if (mode === "all" || s.unjudged) return true;
  return mode === "motion" ? s.motion > 0 : s.objects > 0;
}

/** Review items' severity (the reference NVR's 0.14+ alerts and detections). */
export const SEVERITIES = ["alert", "detection"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Keeps footage for `days` by itself: stored when it passes `mode`, and kept until `days`
 * have passed (checking `mode` again at expiry only when `recheck`: the 0.15 shape's motion
 * days; the 0.12 shape keeps everything inside retain.days, as there).
 */
export interface ContinuousRule {
  days: number;
  mode: RetainMode;
  recheck: boolean;
}

/**
 * Keeps footage around events: those of `severity` (any when unset; an event without one
 * counts as an alert), with `labels` (any when unset), that entered one of `zones` (any when
 * empty), padded by pre/post capture, while the event is kept (`days`, or `objects[label]`),
 * when the footage passes `mode`.
 */
export interface EventRule {
  severity?: Severity;
  pre_capture: number;
  post_capture: number;
  days: number;
  mode: RetainMode;
  objects: Record<string, number>;
  labels?: string[];
  zones: string[];
}

/** What a camera keeps, in camkeep's own terms, whichever of the reference's shapes said it. */
export interface Retention {
  /** The reference NVR's record shape the settings came in. */
  shape: "0.12" | "0.15";
  continuous: ContinuousRule[];
  events: EventRule[];
}

/** An event as the rules look at it. */
export interface RuleEvent {
  label: string;
  severity: Severity | null;
  zones: readonly string[];
}

/** Does a rule take this event into account (severity, label, zones)? */
export function ruleHolds(rule: EventRule, e: RuleEvent): boolean {
  if (rule.severity && (e.severity ?? "alert") !== rule.severity) return false;
  if (rule.labels && !rule.labels.includes(e.label)) return false;
  return !rule.zones.length || e.zones.some((z) => rule.zones.includes(z));
}

/** The widest padding of a camera's event rules: what a search for events must cover. */
export function widestPadding(rules: readonly EventRule[]): { pre_capture: number; post_capture: number } {
  return {
    pre_capture: Math.max(0, ...rules.map((r) => r.pre_capture)),
    post_capture: Math.max(0, ...rules.map((r) => r.post_capture)),
  };
}

/** The longest time footage is kept by itself. */
export function longestContinuousDays(rules: readonly ContinuousRule[]): number {
  return Math.max(0, ...rules.map((r) => r.days));
}
