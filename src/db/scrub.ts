import type { Db } from "./open.ts";
import type { RollupRow } from "./rollups.ts";

// What the scrub reads (docs/evidence.md#the-scrub): local footage with a hash, in order, and
// the tier copies that could replace a damaged file.

export interface ScrubRow extends RollupRow {
  rowid: number;
  id: string;
  path: string;
  sha256: string;
}

/** Local footage with a hash after (start, id), in that order (the tier-and-start index). */
export function localHashedAfter(db: Db, start: number, id: string, limit: number): ScrubRow[] {
  return db.$client
    .query<ScrubRow, [number, number, string, number]>(
      `SELECT rowid, id, camera, path, sha256, start_time, duration, segment_size, motion, objects FROM recordings
       WHERE tier IS NULL AND start_time >= ? AND (start_time > ? OR id > ?) AND sha256 IS NOT NULL
       ORDER BY start_time, id LIMIT ?`,
    )
    .all(start, start, id, limit);
}

/** The copies a recording has in copy tiers: where each is. */
export function copiesOf(db: Db, recordingId: string): { tier: string; key: string }[] {
  return db.$client
    .query<{ tier: string; key: string }, [string]>("SELECT tier, key FROM copies WHERE recording_id = ?")
    .all(recordingId);
}
