import type { CameraRecord } from "../config/load.ts";
import { eventCovers, readyAt, type EventSpan } from "../domain/event.ts";
import { modePasses, ruleHolds, widestPadding, type RetainMode, type RuleEvent } from "../domain/retain.ts";
import { plausibleDuration } from "../domain/segment.ts";
import type { Probe } from "../media/engine.ts";
import type { ActivityFrame } from "../domain/activity.ts";
import { segmentStats } from "./activity.ts";

/**
 * What to do with one cache segment (docs/retention.md, "The decision"). Pure: no clock, no files, no
 * database — everything it needs is passed in, so every rule is tested here directly.
 * Times are UTC epoch seconds.
 */

export interface CacheSegment {
  camera: string;
  start: number;
  /** What probing the file found (the camera rules come first: for them it may be NOT_PROBED). */
  probe: Probe;
}

/** The probe of a segment whose camera rules drop it before its content matters. */
export const NOT_PROBED: Probe = { kind: "failed", reason: "not probed" };

/** "shutdown": camkeep is stopping before the segment could be judged (docs/design.md#crash-safety). */
export type KeptBy = "continuous" | "event" | "shutdown";

export type Verdict =
  | { action: "drop"; reason: "unknown_camera" | "disabled" | "corrupt" | "not_retained" }
  | { action: "wait"; until: number }
  /** The probe failed (not the file): try again later; the caller sets it aside after a few tries. */
  | { action: "retry"; reason: string }
  | {
      action: "store";
      end: number;
      duration: number;
      motion: number;
      objects: number;
      /** No activity was reported for the segment's span. */
      unjudged: boolean;
      /** A motion/active_objects rule would have judged it but could not (docs/retention.md fail-safe). */
      failSafe: boolean;
      keptBy: KeptBy[];
    };

export interface DecisionContext {
  /** The camera's effective settings; undefined when it is not configured. */
  camera: CameraRecord | undefined;
  /** The camera's events that may overlap the segment, in any order. */
  events: readonly (EventSpan & RuleEvent)[];
  /** The camera's buffered activity, oldest first. */
  activity: readonly ActivityFrame[];
  /** Newest moment whose activity and events are known (see activityWatermark). */
  watermark: number;
  now: number;
  /**
   * camkeep is stopping: a segment that would wait is stored now, unjudged, rather than left
   * in a cache that a reboot may wipe (tmpfs). Expiry judges it later by its age and events.
   */
  stopping?: boolean;
}

export function decideSegment(seg: CacheSegment, ctx: DecisionContext): Verdict {
  const cam = ctx.camera;
  if (!cam) return { action: "drop", reason: "unknown_camera" };
  if (!cam.enabled) return { action: "drop", reason: "disabled" };
  if (seg.probe.kind === "failed") return { action: "retry", reason: seg.probe.reason };
  if (seg.probe.kind === "invalid" || !plausibleDuration(seg.probe.duration))
    return { action: "drop", reason: "corrupt" };
  const end = seg.start + seg.probe.duration;
  const until = readyAt(end, widestPadding(cam.events));
  const stats = segmentStats(ctx.activity, seg.start, end);
  // Until the watermark passes, an event starting within pre_capture after the segment (or
  // activity inside it) may still arrive: deciding now could drop footage an event wants.
  if (ctx.watermark < until) {
    if (!ctx.stopping) return { action: "wait", until };
    return {
      action: "store",
      end,
      duration: seg.probe.duration,
      motion: stats.motion,
      objects: stats.objects,
      unjudged: true,
      failSafe: true,
      keptBy: ["shutdown"],
    };
  }
  const judged = { motion: stats.motion, objects: stats.objects, unjudged: stats.frames === 0 };

  // Every rule that keeps it, and the modes they judged it by.
  const keptBy: KeptBy[] = [];
  const judgedModes: RetainMode[] = [];
  const continuous = cam.continuous.filter(
    (r) => r.days > 0 && seg.start >= ctx.now - r.days * 86_400 && modePasses(r.mode, judged),
  );
  if (continuous.length) keptBy.push("continuous");
  const byEvents = cam.events.filter(
    (r) =>
      modePasses(r.mode, judged) &&
      ctx.events.some((e) => ruleHolds(r, e) && eventCovers(e, seg.start, end, r)),
  );
  if (byEvents.length) keptBy.push("event");
  for (const r of [...continuous, ...byEvents]) judgedModes.push(r.mode);

  if (!keptBy.length) return { action: "drop", reason: "not_retained" };
  return {
    action: "store",
    end,
    duration: seg.probe.duration,
    ...judged,
    failSafe: judged.unjudged && judgedModes.every((m) => m !== "all"),
    keptBy,
  };
}

/**
 * The newest moment whose activity is known for a camera. A detector reports frames with a
 * delay, so its newest frame_time is the watermark; but a camera with no feed, or whose
 * detector stalled, must still make progress: never let the watermark lag more than
 * max_latency behind the clock.
 */
export function activityWatermark(
  newestFrameTime: number | undefined,
  now: number,
  maxLatency: number,
): number {
  const floor = now - maxLatency;
  return newestFrameTime === undefined ? floor : Math.max(newestFrameTime, floor);
}
