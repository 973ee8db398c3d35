import { and, count, eq, gte, lt, lte, max, min, sql } from "drizzle-orm";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import type { Db } from "./open.ts";
import { recordings, type NewRecording, type Recording } from "./schema.ts";

export function recordingByPath(db: Db, path: string): Recording | undefined {
  return db.select().from(recordings).where(eq(recordings.path, path)).get();
}

export function insertRecording(db: Db, row: NewRecording): void {
  db.insert(recordings).values(row).run();
}

export function recordingCount(db: Db): number {
  return db.select({ n: count() }).from(recordings).get()?.n ?? 0;
}

/** Rows whose path lies under a folder (a range on the unique path index). */
export function recordingsUnder(db: Db, folder: string): Pick<Recording, "id" | "path">[] {
  const prefix = folder.endsWith("/") ? folder : `${folder}/`;
  return db
    .select({ id: recordings.id, path: recordings.path })
    .from(recordings)
    .where(and(gte(recordings.path, prefix), lt(recordings.path, `${prefix}\uffff`)))
    .all();
}

/** Paths in path order after `afterPath`, `limit` at a time, for scans with bounded memory. */
export function recordingPathsAfter(db: Db, afterPath: string, limit: number): Pick<Recording, "id" | "path">[] {
  return db
    .select({ id: recordings.id, path: recordings.path })
    .from(recordings)
    .where(sql`${recordings.path} > ${afterPath}`)
    .orderBy(recordings.path)
    .limit(limit)
    .all();
}

/** Deletes rows by id, in batches bound by one JSON parameter each (SQLite limits variables). */
export function deleteRecordings(db: Db, ids: readonly string[], batch = 10_000): void {
  const del = db.$client.prepare("DELETE FROM recordings WHERE id IN (SELECT value FROM json_each(?))");
  for (let i = 0; i < ids.length; i += batch) del.run(JSON.stringify(ids.slice(i, i + batch)));
}

/** Recordings of a camera overlapping [after, before], by start. Uses the camera+start index. */
export function recordingsBetween(db: Db, camera: string, after: number, before: number, limit: number): Recording[] {
  return db
    .select()
    .from(recordings)
    .where(and(
      eq(recordings.camera, camera),
      // A segment overlapping `after` started at most the longest segment earlier.
      gte(recordings.start_time, after - MAX_SEGMENT_SECONDS),
      lte(recordings.start_time, before),
      gte(recordings.end_time, after),
    ))
    .orderBy(recordings.start_time)
    .limit(limit)
    .all();
}

export function recordingById(db: Db, id: string): Recording | undefined {
  return db.select().from(recordings).where(eq(recordings.id, id)).get();
}

/** Newest segment start of all cameras, or undefined with none (the start index's last entry). */
export function newestRecordingStart(db: Db): number | undefined {
  return db.select({ t: max(recordings.start_time) }).from(recordings).get()?.t ?? undefined;
}

/** Bytes per second over a camera's last `n` segments, or 0 with none. */
export function recentBandwidth(db: Db, camera: string, n = 100): number {
  const r = db.$client
    .query("SELECT sum(segment_size) AS bytes, sum(duration) AS seconds FROM (SELECT segment_size, duration FROM recordings WHERE camera = ? ORDER BY start_time DESC LIMIT ?)")
    .get(camera, n) as { bytes: number | null; seconds: number | null };
  return r.seconds ? (r.bytes ?? 0) / r.seconds : 0;
}

/** Quarter-hour buckets: every real time zone's offset is a whole number of them. */
export const BUCKET_SECONDS = 900;

export interface Bucket {
  bucket: number; // start, epoch seconds
  duration: number;
  motion: number;
  objects: number;
}

/** A camera's footage summed per quarter hour of start time. */
export function recordingBuckets(db: Db, camera: string): Bucket[] {
  return db.$client
    .query(`SELECT CAST(start_time / ${BUCKET_SECONDS} AS INTEGER) * ${BUCKET_SECONDS} AS bucket, sum(duration) AS duration,
            sum(motion) AS motion, sum(objects) AS objects FROM recordings WHERE camera = ? GROUP BY 1 ORDER BY 1`)
    .all(camera) as Bucket[];
}

/** Newest segment start of one camera (the camera+start index's last entry). */
export function lastRecordingStart(db: Db, camera: string): number | undefined {
  return db.select({ t: max(recordings.start_time) }).from(recordings).where(eq(recordings.camera, camera)).get()?.t ?? undefined;
}

/** The columns expiry and disk protection need. */
export type ExpiryCandidate = Pick<Recording, "id" | "camera" | "path" | "start_time" | "end_time" | "duration" | "motion" | "objects" | "unjudged" | "segment_size">;

const candidateColumns = {
  id: recordings.id, camera: recordings.camera, path: recordings.path, start_time: recordings.start_time, end_time: recordings.end_time,
  duration: recordings.duration, motion: recordings.motion, objects: recordings.objects, unjudged: recordings.unjudged, segment_size: recordings.segment_size,
};

/**
 * A camera's recordings starting after `afterStart` and before `startBefore`, oldest first,
 * `limit` at a time (keyset paging on the camera+start index: kept rows are not read twice).
 * Raw prepared statement: expiry reads millions of rows through it.
 */
export function cameraRecordingsPager(db: Db) {
  const query = db.$client.prepare<Omit<ExpiryCandidate, "unjudged"> & { unjudged: number }, [string, number, number, number]>(
    `SELECT id, camera, path, start_time, end_time, duration, motion, objects, unjudged, segment_size FROM recordings
     WHERE camera = ? AND start_time > ? AND start_time < ? ORDER BY start_time LIMIT ?`,
  );
  return (camera: string, afterStart: number, startBefore: number, limit: number): ExpiryCandidate[] =>
    query.all(camera, afterStart, startBefore, limit).map((r) => ({ ...r, unjudged: r.unjudged === 1 }));
}

/** All cameras' recordings, oldest first, after the key (start, id), `limit` at a time. */
export function oldestRecordingsPage(db: Db, after: { start: number; id: string }, limit: number): ExpiryCandidate[] {
  return db.select(candidateColumns).from(recordings)
    .where(sql`(${recordings.start_time}, ${recordings.id}) > (${after.start}, ${after.id})`)
    .orderBy(recordings.start_time, recordings.id).limit(limit).all();
}

/** Oldest start of all recordings (the start index's first entry). */
export function oldestRecordingStart(db: Db): number | undefined {
  return db.select({ t: min(recordings.start_time) }).from(recordings).get()?.t ?? undefined;
}
