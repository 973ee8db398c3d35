import { desc, eq, sql } from "drizzle-orm";
import { getMeta, setMeta } from "./meta.ts";
import type { Db } from "./open.ts";
import { shares } from "./schema.ts";

// Share links' rows (docs/security.md#share-links) and the box's share secret.

export type ShareRow = typeof shares.$inferSelect;

/** The secret the box signs share links with: made once, kept in the database (never in a link). */
export function shareSecret(db: Db): Uint8Array {
  let hex = getMeta(db, "share_secret");
  if (!hex) {
    hex = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    setMeta(db, "share_secret", hex);
  }
  return Buffer.from(hex, "hex");
}

export function insertShare(db: Db, row: Omit<ShareRow, "uses" | "revoked_at">): void {
  db.insert(shares).values(row).run();
}

export function shareById(db: Db, id: string): ShareRow | undefined {
  return db.select().from(shares).where(eq(shares.id, id)).get();
}

/** The newest first; at most `limit`. */
export function listShares(db: Db, limit = 1000): ShareRow[] {
  return db.select().from(shares).orderBy(desc(shares.created_at)).limit(limit).all();
}

/** Revokes a share (once: the first revocation's time stays); false when there is no such share. */
export function revokeShare(db: Db, id: string, now: number): boolean {
  const row = shareById(db, id);
  if (!row) return false;
  if (row.revoked_at === null) db.update(shares).set({ revoked_at: now }).where(eq(shares.id, id)).run();
  return true;
}

/** Takes one use, if the share still has one (one statement: two clients cannot both take the last). */
export function takeShareUse(db: Db, id: string, now: number): boolean {
  return (
    db
      .update(shares)
      .set({ uses: sql`${shares.uses} + 1` })
      .where(
        sql`${shares.id} = ${id} AND ${shares.revoked_at} IS NULL AND ${shares.expires_at} > ${now}
            AND (${shares.max_uses} IS NULL OR ${shares.uses} < ${shares.max_uses})`,
      )
      .returning({ uses: shares.uses })
      .all().length > 0
  );
}

/** Gives back a use whose download was refused (no footage there): it was not a use. */
export function giveBackShareUse(db: Db, id: string): void {
  db.update(shares)
    .set({ uses: sql`max(0, ${shares.uses} - 1)` })
    .where(eq(shares.id, id))
    .run();
}
