import type { Db } from "../db/open.ts";
import { newestRecording } from "../db/recordings.ts";

// Where a segment really starts: its name's whole second, or exactly where the one before it ended.

/**
 * A recorder names a segment by the wall clock's whole second when it opens it, so the true
 * start lies in [name, name + 1). A segment that follows its predecessor without a break
 * starts where that one's media ended; read from the name alone, a run of segments overlaps by
 * up to a second and then leaves a gap of up to one, and players stop at every false break
 * (docs/design.md#the-life-of-a-segment). These bounds take the previous end as the start
 * when it falls in the name's second, with a margin for the recorder's clock.
 */
export const JOIN_EARLY_S = 0.25;
export const JOIN_LATE_S = 1.25;
/** How far a segment's last write less its duration may lie from the previous end, and still join. */
export const JOIN_CLOSED_S = 0.75;

/**
 * The start of a segment named `nameStart` that plays `duration` seconds and was closed at
 * `closed.at` (its last write, epoch s), given where the camera's previous segment ended. Pure.
 * Joined to the previous one when it can be; else the first of a recorder run: its last write
 * less its duration, kept within its name's second — the wall clock its recorder names the
 * next segments by, so they join it.
 */
export function joinedStart(
  nameStart: number,
  previousEnd: number | undefined,
  closed?: { at: number; duration: number },
): number {
  // Its last write says when it started only if it was closed about when it should have been:
  // a file copied into the cache later (or remade) says nothing.
  const fromClose = closed && closed.at - closed.duration;
  const plausible =
    fromClose !== undefined && fromClose >= nameStart - JOIN_EARLY_S && fromClose < nameStart + JOIN_LATE_S;
  const d = previousEnd === undefined ? Number.NaN : previousEnd - nameStart;
  // And where it is, it must agree: a recorder restarted within a second of the previous end (a
  // 1 s backoff) names its first segment in the same second, but that segment closed too late.
  const agrees = !plausible || Math.abs(fromClose - previousEnd!) < JOIN_CLOSED_S;
  if (d >= -JOIN_EARLY_S && d < JOIN_LATE_S && agrees) return previousEnd!;
  return plausible ? Math.min(nameStart + 0.999, Math.max(nameStart, fromClose)) : nameStart;
}

/**
 * Where each camera's last decided segment ended (stored or dropped alike: the recorder's run
 * goes on either way). Seeded from the camera's newest recording when first asked, so a
 * restart of camkeep alone keeps the chain; one number per camera.
 */
export class SegmentJoins {
  private readonly lastEnd = new Map<string, number | undefined>();

  constructor(private readonly db: Db) {}

  startOf(camera: string, nameStart: number, closed: { at: number; duration: number }): number {
    if (!this.lastEnd.has(camera)) {
      const r = newestRecording(this.db, camera);
      this.lastEnd.set(camera, r && r.start_time + r.duration);
    }
    return joinedStart(nameStart, this.lastEnd.get(camera), closed);
  }

  ended(camera: string, end: number): void {
    this.lastEnd.set(camera, end);
  }
}
