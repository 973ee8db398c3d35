import { and, count, eq, gte, lt, sql } from "drizzle-orm";
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
