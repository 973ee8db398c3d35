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

/** The start of a segment named `nameStart`, given where the camera's previous segment ended (if known). Pure. */
export function joinedStart(nameStart: number, previousEnd: number | undefined): number {
  if (previousEnd === undefined) return nameStart;
  const d = previousEnd - nameStart;
  return d >= -JOIN_EARLY_S && d < JOIN_LATE_S ? previousEnd : nameStart;
}

/**
 * Where each camera's last decided segment ended (stored or dropped alike: the recorder's run
 * goes on either way). Seeded from the camera's newest recording when first asked, so a
 * restart of camkeep alone keeps the chain; one number per camera.
 */
export class SegmentJoins {
  private readonly lastEnd = new Map<string, number | undefined>();

  constructor(private readonly db: Db) {}

  startOf(camera: string, nameStart: number): number {
    if (!this.lastEnd.has(camera)) {
      const r = newestRecording(this.db, camera);
      this.lastEnd.set(camera, r && r.start_time + r.duration);
    }
    return joinedStart(nameStart, this.lastEnd.get(camera));
  }

  ended(camera: string, end: number): void {
    this.lastEnd.set(camera, end);
  }
}
