import { createHash } from "node:crypto";
import type { Db } from "./open.ts";

// The audit log's one writer and its readers (docs/evidence.md#the-audit-log): each entry
// carries the hash of the one before, so an entry edited, removed or put in afterwards breaks
// the chain from there on.

export interface AuditEntry {
  at: number;
  actor: string;
  address: string;
  action: string;
  detail: Record<string, unknown>;
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  address: string;
  action: string;
  detail: string;
  previous: string;
  hash: string;
}

/** The hash an entry carries: of the one before it and of its own fields, as stored. */
function entryHash(previous: string, id: number, e: Omit<AuditRow, "id" | "previous" | "hash">): string {
  return createHash("sha256")
    .update(JSON.stringify([previous, id, e.at, e.actor, e.address, e.action, e.detail]))
    .digest("hex");
}

/**
 * Appends entries after the last one, in one immediate transaction: the chain's head is read
 * and extended while no other writer (another camkeep command beside the keeper) can.
 */
export function appendAudit(db: Db, entries: readonly AuditEntry[]): void {
  if (!entries.length) return;
  db.$client
    .transaction(() => {
      const last = db.$client
        .query<{ id: number; hash: string }, []>("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        .get();
      let previous = last?.hash ?? "";
      let id = last?.id ?? 0;
      for (const e of entries) {
        id++;
        const row = {
          at: e.at,
          actor: e.actor,
          address: e.address,
          action: e.action,
          detail: JSON.stringify(e.detail),
        };
        const hash = entryHash(previous, id, row);
        db.$client.run(
          "INSERT INTO audit (id, at, actor, address, action, detail, previous, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          [id, row.at, row.actor, row.address, row.action, row.detail, previous, hash],
        );
        previous = hash;
      }
    })
    .immediate();
}

/** Entries after `after` (by id), oldest first. */
export function auditAfter(db: Db, after: number, limit: number): AuditRow[] {
  return db.$client
    .query<AuditRow, [number, number]>("SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?")
    .all(after, limit);
}

/** Entries whose detail names `key` = `value` (a case's entries), oldest first. */
export function auditAbout(db: Db, key: string, value: string): AuditRow[] {
  return db.$client
    .query<AuditRow, [string, string]>(
      "SELECT * FROM audit WHERE json_extract(detail, '$.' || ?) = ? ORDER BY id",
    )
    .all(key, value);
}

/** Checks the whole chain: every entry's hash, its link to the one before, no id missing. */
export function verifyAudit(db: Db): { entries: number; problems: string[] } {
  const problems: string[] = [];
  let previous = "";
  let expectedId = 1;
  let entries = 0;
  for (let after = 0; ; ) {
    const page = auditAfter(db, after, 1000);
    if (!page.length) break;
    for (const row of page) {
      entries++;
      const where = `entry ${row.id} (${new Date(row.at * 1000).toISOString()} ${row.action})`;
      if (row.id !== expectedId) problems.push(`entries ${expectedId}–${row.id - 1} are missing`);
      if (row.previous !== previous) problems.push(`${where}: it does not follow the entry before it`);
      if (entryHash(row.previous, row.id, row) !== row.hash)
        problems.push(`${where}: it was changed after it was written`);
      previous = row.hash;
      expectedId = row.id + 1;
    }
    after = page.at(-1)!.id;
  }
  return { entries, problems };
}
