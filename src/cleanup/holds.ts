import type { Config } from "../config/load.ts";
import { eventsNear } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import { widestPadding } from "../domain/retain.ts";
import { type Hold, holdOf } from "./quota-verdict.ts";

// What holds each recording of a page: the events near it, read once per camera of the page.

/**
 * A page of recordings (oldest first, one camera or several), each with what holds it: an event
 * kept forever, another event its rules take into account, or nothing. Quotas and disk protection
 * delete by these holds, in the same order. A camera no longer configured: its events still hold
 * its footage, by the global rules.
 */
export function judgeHolds<T extends { camera: string; start_time: number; end_time: number }>(
  config: Config,
  db: Db,
  page: readonly T[],
): (T & { hold: Hold })[] {
  const byCamera = new Map<string, ReturnType<typeof eventsNear>>();
  for (const camera of new Set(page.map((r) => r.camera))) {
    const rows = page.filter((r) => r.camera === camera);
    const cam = config.cameras[camera]?.record ?? config.defaults;
    byCamera.set(
      camera,
      eventsNear(db, camera, rows[0]!.start_time, rows.at(-1)!.end_time, widestPadding(cam.events)),
    );
  }
  return page.map((row) => ({
    ...row,
    hold: holdOf(row, byCamera.get(row.camera)!, config.cameras[row.camera]?.record ?? config.defaults),
  }));
}
