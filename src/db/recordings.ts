import { and, count, desc, eq, gte, isNull, lte, max, min, sql } from "drizzle-orm";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import type { Db } from "./open.ts";
import { applyToRollups, type RollupRow } from "./rollups.ts";
import { recordings, type NewRecording, type Recording } from "./schema.ts";
import { copyPriority, queueTransfers, type CopyOnInsert } from "./tiers.ts";

// Queries of the recordings table: insert, list, find, bandwidth.

export function recordingByPath(db: Db, path: string): Recording | undefined {
  return db.select().from(recordings).where(eq(recordings.path, path)).get();
}

export function insertRecording(db: Db, row: NewRecording, copyTo?: CopyOnInsert): void {
  insertRecordings(db, [row], copyTo);
}

/**
 * Inserts rows in one transaction: one commit (one flush) for all of them. With copy tiers,
 * each row's copies are queued in the same transaction: none is forgotten across a crash.
 */
export function insertRecordings(db: Db, rows: readonly NewRecording[], copyTo?: CopyOnInsert): void {
  const copied = !!copyTo?.tiers.length;
  // One prepared statement, run per row: a restore inserts a million rows, and statements built
  // per chunk (each its own SQL text and parameter array) left hundreds of MB to the collector.
  const insert = db.$client.query(
    `INSERT INTO recordings (id, camera, path, start_time, end_time, duration, motion, objects, segment_size, unjudged, tier, tiered, sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.$client.transaction(() => {
    for (const r of rows)
      insert.run(
        r.id,
        r.camera,
        r.path,
        r.start_time,
        r.end_time,
        r.duration,
        r.motion,
        r.objects,
        r.segment_size,
        r.unjudged ? 1 : 0,
        r.tier ?? null,
        copied || r.tiered ? 1 : 0,
        r.sha256 ?? null,
      );
    applyToRollups(db, rows, 1);
    if (copied) {
      const now = Date.now() / 1000;
      queueTransfers(
        db,
        rows.flatMap((r) => {
          const priority = copyPriority(db, r);
          return copyTo.tiers.map((tier) => ({
            id: r.id,
            tier,
            key: copyTo.key(r.path),
            kind: "copy" as const,
            priority,
          }));
        }),
        now,
        true,
      );
    }
  })();
}

export function recordingCount(db: Db): number {
  return db.select({ n: count() }).from(recordings).get()?.n ?? 0;
}

/** Recordings whose row points at local storage (not at a tier). */
export function localRecordingCount(db: Db): number {
  return db.select({ n: count() }).from(recordings).where(isNull(recordings.tier)).get()?.n ?? 0;
}

/** Rows whose path lies under a folder (a range on the unique path index). */
export function recordingsUnder(db: Db, folder: string): Pick<Recording, "id" | "path">[] {
  const prefix = folder.endsWith("/") ? folder : `${folder}/`;
  // Raw and cached (reconcile asks once per folder, thousands of folders).
  return db.$client
    .query<Pick<Recording, "id" | "path">, [string, string]>(
      "SELECT id, path FROM recordings WHERE path >= ? AND path < ?",
    )
    .all(prefix, `${prefix}\uffff`);
}

/** Local storage's paths in path order after `afterPath`, `limit` at a time, for scans with bounded memory. */
export function recordingPathsAfter(
  db: Db,
  afterPath: string,
  limit: number,
): Pick<Recording, "id" | "path">[] {
  return db
    .select({ id: recordings.id, path: recordings.path })
    .from(recordings)
    .where(and(sql`${recordings.path} > ${afterPath}`, isNull(recordings.tier)))
    .orderBy(recordings.path)
    .limit(limit)
    .all();
}

/** Deletes rows by id, in batches bound by one JSON parameter each (SQLite limits variables). */
export function deleteRecordings(db: Db, ids: readonly string[], batch = 10_000): void {
  const del = db.$client.query<RollupRow, [string]>(
    "DELETE FROM recordings WHERE id IN (SELECT value FROM json_each(?)) RETURNING camera, start_time, duration, segment_size, motion, objects",
  );
  for (let i = 0; i < ids.length; i += batch) {
    db.$client.transaction(() => applyToRollups(db, del.all(JSON.stringify(ids.slice(i, i + batch))), -1))();
  }
}

/** Recordings of a camera overlapping [after, before], by start. Uses the camera+start index. */
export function recordingsBetween(
  db: Db,
  camera: string,
  after: number,
  before: number,
  limit: number,
): Recording[] {
  return db
    .select()
    .from(recordings)
    .where(
      and(
        eq(recordings.camera, camera),
        // A segment overlapping `after` started at most the longest segment earlier.
        gte(recordings.start_time, after - MAX_SEGMENT_SECONDS),
        lte(recordings.start_time, before),
        gte(recordings.end_time, after),
      ),
    )
    .orderBy(recordings.start_time)
    .limit(limit)
    .all();
}

export function recordingById(db: Db, id: string): Recording | undefined {
  return db.select().from(recordings).where(eq(recordings.id, id)).get();
}

/**
 * The tiers rows point at (null: local storage), found by seeking the tier+start index from
 * one value to the next: a lookup per tier, never a scan.
 */
function tiersInUse(db: Db): (string | null)[] {
  const found: (string | null)[] = [];
  if (db.$client.query("SELECT 1 FROM recordings WHERE tier IS NULL LIMIT 1").get()) found.push(null);
  const next = db.$client.query<{ t: string | null }, [string]>(
    "SELECT min(tier) AS t FROM recordings WHERE tier > ?",
  );
  for (let t = next.get("")?.t ?? null; t !== null; t = next.get(t)?.t ?? null) found.push(t);
  return found;
}

/** min or max of start_time over all rows: that of each tier's end of the tier+start index. */
function startExtreme(db: Db, fn: "min" | "max"): number | undefined {
  const q = db.$client.query<{ t: number | null }, [string | null]>(
    `SELECT ${fn}(start_time) AS t FROM recordings WHERE tier IS ?`,
  );
  const ends = tiersInUse(db)
    .map((tier) => q.get(tier)?.t)
    .filter((t): t is number => typeof t === "number");
  return ends.length ? Math[fn](...ends) : undefined;
}

/** Newest segment start of all cameras, or undefined with none. */
export function newestRecordingStart(db: Db): number | undefined {
  return startExtreme(db, "max");
}

/** Bytes per second over a camera's last `n` segments, or 0 with none. */
export function recentBandwidth(db: Db, camera: string, n = 100): number {
  const r = db.$client
    .query(
      "SELECT sum(segment_size) AS bytes, sum(duration) AS seconds FROM (SELECT segment_size, duration FROM recordings WHERE camera = ? ORDER BY start_time DESC LIMIT ?)",
    )
    .get(camera, n) as { bytes: number | null; seconds: number | null };
  return r.seconds ? (r.bytes ?? 0) / r.seconds : 0;
}

/** A camera's newest recording (the camera+start index's last entry). */
export function newestRecording(db: Db, camera: string): Recording | undefined {
  return db
    .select()
    .from(recordings)
    .where(eq(recordings.camera, camera))
    .orderBy(desc(recordings.start_time))
    .limit(1)
    .get();
}

/** Newest segment start of one camera (the camera+start index's last entry). */
export function lastRecordingStart(db: Db, camera: string): number | undefined {
  return (
    db
      .select({ t: max(recordings.start_time) })
      .from(recordings)
      .where(eq(recordings.camera, camera))
      .get()?.t ?? undefined
  );
}

/** The columns expiry and disk protection need; `rowid` deletes the row without a lookup by id. */
export type ExpiryCandidate = Pick<
  Recording,
  | "id"
  | "camera"
  | "path"
  | "tier"
  | "start_time"
  | "end_time"
  | "duration"
  | "motion"
  | "objects"
  | "unjudged"
  | "segment_size"
> & { rowid: number };

const candidateColumns = {
  rowid: sql<number>`${recordings}.rowid`,
  id: recordings.id,
  camera: recordings.camera,
  path: recordings.path,
  tier: recordings.tier,
  start_time: recordings.start_time,
  end_time: recordings.end_time,
  duration: recordings.duration,
  motion: recordings.motion,
  objects: recordings.objects,
  unjudged: recordings.unjudged,
  segment_size: recordings.segment_size,
};

/**
 * Deletes the rows of `page` (one camera's, in start order) that are in `gone`, as ranges of
 * start times: each run of consecutive rows to go is one range on the camera+start index,
 * which costs SQLite less than looking rows up one by one. Start times are unique per camera
 * (its storage path is made from the start). Call it in the transaction that read the page,
 * so that no row can have come between.
 */
export function deleteCameraRuns<T extends RollupRow>(
  db: Db,
  camera: string,
  page: readonly T[],
  gone: ReadonlySet<T>,
): void {
  const del = db.$client.query(
    "DELETE FROM recordings WHERE camera = ? AND start_time >= ? AND start_time <= ?",
  );
  db.$client.transaction(() => {
    for (let i = 0; i < page.length; ) {
      if (!gone.has(page[i]!)) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < page.length && gone.has(page[j + 1]!)) j++;
      del.run(camera, page[i]!.start_time, page[j]!.start_time);
      i = j + 1;
    }
    applyToRollups(db, [...gone], -1);
  })();
}

/** A row as expiry judges and deletes it (by ranges of start times: no id needed). */
export type ExpiryPageRow = Omit<ExpiryCandidate, "id" | "rowid">;

/** Deletes rows by rowid, in batches bound by one JSON parameter each: no index lookup per id. */
export function deleteRecordingsByRowid(
  db: Db,
  rows: readonly (RollupRow & { rowid: number })[],
  batch = 10_000,
): void {
  const del = db.$client.prepare("DELETE FROM recordings WHERE rowid IN (SELECT value FROM json_each(?))");
  for (let i = 0; i < rows.length; i += batch) {
    const some = rows.slice(i, i + batch);
    db.$client.transaction(() => {
      del.run(JSON.stringify(some.map((r) => r.rowid)));
      applyToRollups(db, some, -1);
    })();
  }
}

/**
 * A camera's recordings starting after `afterStart` and before `startBefore`, oldest first,
 * `limit` at a time (keyset paging on the camera+start index: kept rows are not read twice).
 * Raw prepared statement: expiry reads millions of rows through it.
 */
export function cameraRecordingsPager(db: Db) {
  type Columns = [string, string | null, number, number, number, number, number, number, number];
  const query = db.$client.prepare<Columns, [string, number, number, number]>(
    `SELECT path, tier, start_time, end_time, duration, motion, objects, unjudged, segment_size FROM recordings
     WHERE camera = ? AND start_time > ? AND start_time < ? ORDER BY start_time LIMIT ?`,
  );
  // Arrays, not objects, from SQLite, and only the columns expiry reads: it reads millions.
  return (camera: string, afterStart: number, startBefore: number, limit: number): ExpiryPageRow[] =>
    (query.values(camera, afterStart, startBefore, limit) as unknown as Columns[]).map(
      ([path, tier, start_time, end_time, duration, motion, objects, unjudged, segment_size]) => ({
        camera,
        path,
        tier,
        start_time,
        end_time,
        duration,
        motion,
        objects,
        unjudged: unjudged === 1,
        segment_size,
      }),
    );
}

/**
 * All cameras' recordings in local storage (what deleting frees space there), oldest first,
 * after the key (start, id), `limit` at a time.
 */
export function oldestRecordingsPage(
  db: Db,
  after: { start: number; id: string },
  limit: number,
): ExpiryCandidate[] {
  return db
    .select(candidateColumns)
    .from(recordings)
    .where(
      and(
        isNull(recordings.tier),
        sql`(${recordings.start_time}, ${recordings.id}) > (${after.start}, ${after.id})`,
      ),
    )
    .orderBy(recordings.start_time, recordings.id)
    .limit(limit)
    .all();
}

/** A camera's first segment start at or after `t` (the camera+start index). */
export function firstStartAtOrAfter(db: Db, camera: string, t: number): number | undefined {
  return (
    db
      .select({ t: min(recordings.start_time) })
      .from(recordings)
      .where(and(eq(recordings.camera, camera), gte(recordings.start_time, t)))
      .get()?.t ?? undefined
  );
}

/** Oldest start of all recordings, or undefined with none. */
export function oldestRecordingStart(db: Db): number | undefined {
  return startExtreme(db, "min");
}
