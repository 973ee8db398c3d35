import { eq } from "drizzle-orm";
import type { Db } from "./open.ts";
import { meta } from "./schema.ts";

// Small named values kept in the database (storage id, backfill cursors).

export function getMeta(db: Db, key: string): string | undefined {
  return db.select({ value: meta.value }).from(meta).where(eq(meta.key, key)).get()?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } }).run();
}

/** Every value whose key begins with `prefix`, as [key, value]. */
export function metaWithPrefix(db: Db, prefix: string): [string, string][] {
  return db.$client
    .query<{ key: string; value: string }, [string, string]>(
      "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key",
    )
    .all(prefix, `${prefix}\uffff`)
    .map((r) => [r.key, r.value]);
}
