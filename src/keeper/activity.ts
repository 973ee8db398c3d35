/**
 * Per-frame activity from a detector (docs/retention.md), reduced on arrival to the two numbers the
 * decisions use, and held per camera only as long as a cache segment may need it.
 */
import type { ActivityFrame } from "../domain/activity.ts";
import { boxArea } from "../domain/geometry.ts";

export interface ReportedObject {
  label: string;
  false_positive: boolean;
  motionless_count: number;
}

export interface ReportedFrame {
  frame_time: number;
  objects: ReportedObject[];
  motion_boxes: number[][];
  regions?: number[][];
}

export function summarizeFrame(f: ReportedFrame): ActivityFrame {
  let motion = 0;
  for (const box of f.motion_boxes) motion += boxArea(box);
  let objects = 0;
  for (const o of f.objects) if (!o.false_positive && o.motionless_count === 0) objects++;
  return { t: f.frame_time, motion, objects };
}

/** Index of the first frame at or after t (frames sorted by t). */
function firstAtOrAfter(frames: readonly ActivityFrame[], t: number): number {
  let lo = 0,
    hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Motion and objects summed over frames inside [start, end]. */
export function segmentStats(frames: readonly ActivityFrame[], start: number, end: number) {
  let motion = 0,
    objects = 0,
    count = 0;
  for (let i = firstAtOrAfter(frames, start); i < frames.length && frames[i]!.t <= end; i++) {
    motion += frames[i]!.motion;
    objects += frames[i]!.objects;
    count++;
  }
  return { motion, objects, frames: count };
}

/** Adds frames to a buffer sorted by time, keeping it sorted (frames mostly come in order). */
function insertSorted(buf: ActivityFrame[], frames: readonly ActivityFrame[]): void {
  for (const f of frames) {
    if (!Number.isFinite(f.t)) continue;
    if (!buf.length || buf[buf.length - 1]!.t <= f.t) buf.push(f);
    else buf.splice(firstAtOrAfter(buf, f.t), 0, f);
  }
}

export interface ActivityLimits {
  /** Frames older than this many seconds before now are dropped whatever the cache holds. */
  maxAge: number;
  /** At most this many frames per camera; the oldest go first. */
  maxFrames: number;
}

export const DEFAULT_ACTIVITY_LIMITS: ActivityLimits = { maxAge: 3600, maxFrames: 50_000 };

/**
 * How many of the oldest frames to drop (docs/design.md#the-life-of-a-segment): those older than the camera's oldest cache
 * segment when it has any (with none, keep them: a detector reports frames before their
 * segment closes), and always those beyond the age and count bounds. Losing activity never
 * loses footage: a segment without activity is stored unjudged.
 */
export function framesToDrop(
  frames: readonly ActivityFrame[],
  oldestSegmentStart: number | undefined,
  now: number,
  limits: ActivityLimits,
): number {
  const cutoff = Math.max(oldestSegmentStart ?? -Infinity, now - limits.maxAge);
  return Math.max(firstAtOrAfter(frames, cutoff), frames.length - limits.maxFrames);
}

/**
 * The in-memory activity of every camera. report() is what the HTTP API calls; it only
 * queues, so that a burst of reports never runs inside a maintainer pass.
 */
export class ActivityStore {
  private queue: { camera: string; frames: ActivityFrame[] }[] = [];
  private queued = 0;
  private readonly buffers = new Map<string, ActivityFrame[]>();
  private readonly newest = new Map<string, number>();

  constructor(private readonly limits: ActivityLimits = DEFAULT_ACTIVITY_LIMITS) {}

  /** Queue frames for a camera. Returns false when the queue is full and they were refused. */
  report(camera: string, frames: ReportedFrame[]): boolean {
    if (this.queued + frames.length > this.limits.maxFrames * 4) return false;
    this.queue.push({ camera, frames: frames.map(summarizeFrame) });
    this.queued += frames.length;
    return true;
  }

  /**
   * Frames already reduced, from a source that hears the camera live (its own ONVIF events):
   * queued like a detector's, so they move the camera's watermark — a second heard with
   * nothing in it is "no motion", not "unknown".
   */
  hear(camera: string, frames: ActivityFrame[]): boolean {
    if (this.queued + frames.length > this.limits.maxFrames * 4) return false;
    this.queue.push({ camera, frames });
    this.queued += frames.length;
    return true;
  }

  /** Move queued frames into the per-camera buffers, keeping each sorted by time. */
  drain(): void {
    for (const { camera, frames } of this.queue) {
      let buf = this.buffers.get(camera);
      if (!buf) this.buffers.set(camera, (buf = []));
      insertSorted(buf, frames);
      for (const f of frames) if (f.t > (this.newest.get(camera) ?? -Infinity)) this.newest.set(camera, f.t);
    }
    this.queue = [];
    this.queued = 0;
  }

  /**
   * Frames camkeep analysed itself (motion from the footage, docs/motion.md), merged with what
   * detectors report. They are of a closed segment, so they say nothing of what is still to
   * come: they do not move the camera's watermark.
   */
  addAnalysed(camera: string, frames: readonly ActivityFrame[]): void {
    let buf = this.buffers.get(camera);
    if (!buf) this.buffers.set(camera, (buf = []));
    insertSorted(buf, frames);
  }

  prune(camera: string, oldestSegmentStart: number | undefined, now: number): void {
    const buf = this.buffers.get(camera);
    if (!buf) return;
    const drop = framesToDrop(buf, oldestSegmentStart, now, this.limits);
    if (drop > 0) buf.splice(0, drop);
  }

  frames(camera: string): readonly ActivityFrame[] {
    return this.buffers.get(camera) ?? [];
  }

  /** The time of the camera's newest buffered frame with motion, if one is at or after `since` (read from the newest back). */
  lastMotionSince(camera: string, since: number): number | undefined {
    const buf = this.buffers.get(camera) ?? [];
    for (let i = buf.length - 1; i >= 0 && buf[i]!.t >= since; i--) if (buf[i]!.motion > 0) return buf[i]!.t;
    return undefined;
  }

  /** The time of the camera's newest buffered frame from any source, camkeep's own analysis included. */
  newestBufferedTime(camera: string): number | undefined {
    return this.buffers.get(camera)?.at(-1)?.t;
  }

  /** Newest frame_time ever reported for the camera, if any. */
  newestFrameTime(camera: string): number | undefined {
    return this.newest.get(camera);
  }

  cameras(): string[] {
    return [...this.buffers.keys()];
  }
}
