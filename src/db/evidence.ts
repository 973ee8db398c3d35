import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./open.ts";
import { recordings, signedExports } from "./schema.ts";

// Evidence in the index (docs/evidence.md): signed exports given out, hashes of stored footage.

/** The signed export `id` as first given out: asked for now, it is recorded with this moment. */
export function signedExport(
  db: Db,
  id: string,
  now: number,
): { exportedAt: number; signature?: Uint8Array } {
  db.insert(signedExports).values({ id, exported_at: now }).onConflictDoNothing().run();
  const row = db.select().from(signedExports).where(eq(signedExports.id, id)).get()!;
  return { exportedAt: row.exported_at, signature: row.signature ?? undefined };
}

/** Keeps the first signature made of export `id`, and answers the one kept. */
export function keepSignature(db: Db, id: string, signature: Uint8Array): Uint8Array {
  db.update(signedExports)
    .set({ signature: Buffer.from(signature) })
    .where(and(eq(signedExports.id, id), isNull(signedExports.signature)))
    .run();
  return db.select().from(signedExports).where(eq(signedExports.id, id)).get()!.signature!;
}

/** Stored footage not hashed yet (stored before hashing existed), oldest first, after `after`. */
export function unhashedRecordings(db: Db, after: number, limit: number) {
  return db.$client
    .query<
      { id: string; tier: string | null; path: string; segment_size: number; start_time: number },
      [number, number]
    >(
      "SELECT id, tier, path, segment_size, start_time FROM recordings INDEXED BY recordings_unhashed WHERE sha256 IS NULL AND start_time > ? ORDER BY start_time LIMIT ?",
    )
    .all(after, limit);
}

/** Sets a row's hash if none was set meanwhile. */
export function setRecordingHash(db: Db, id: string, sha256: string): void {
  db.update(recordings)
    .set({ sha256 })
    .where(and(eq(recordings.id, id), isNull(recordings.sha256)))
    .run();
}

/** How many stored segments have no hash yet. */
export function unhashedCount(db: Db): number {
  return db.$client
    .query<{ n: number }, []>(
      "SELECT count(*) AS n FROM recordings INDEXED BY recordings_unhashed WHERE sha256 IS NULL",
    )
    .get()!.n;
}
