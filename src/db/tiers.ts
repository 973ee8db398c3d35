import type { Db } from "./open.ts";
import { applyToRollups, type RollupRow } from "./rollups.ts";

/**
 * The tiers' queues and the changes that make a copy count. The invariants (docs/design.md#tiers)
 * are enforced here, where the rows are written:
 * - a recording's row points at a complete copy: it is repointed to a tier only after that copy
 *   was verified, in one transaction with the queue row that asked for it;
 * - a recording has at most one move queued (the `transfers_one_move` index; dueForMove asks for
 *   the furthest tier first), so it never moves two ways at once;
 * - an object no row needs any more (the source of a move, a deleted recording's copies, a
 *   transfer whose recording went) is written into `discards` in the same transaction that made
 *   it garbage: nothing in a tier is forgotten across a crash;
 * - an object a transfer is queued to write is never discarded: queueing the transfer drops a
 *   discard of the same object (the upload replaces it), and the transfer's end decides — its
 *   commit counts the object, or dropping the transfer (abandonTransfer) discards it;
 * - a local file a row no longer points at is removed after the commit; if a crash comes first,
 *   reconcile finds it by its key in the tier (movedAway) and removes it;
 * - a row or copy found pointing at a file its folder tier lost is dropped (dropLostTierRows,
 *   forgetCopy) only while it still points there.
 */

/**
 * Deleting a recording leaves its objects in tiers to the tier worker, in the same transaction
 * whichever way it is deleted (expiry's ranges, quotas, disk protection, reconcile): its
 * copies, the target of a transfer still queued, and the tier copy its row points at; and its
 * hour's manifest in the bucket's archive is marked to be written again (docs/archive.md).
 */
const DISCARD_TRIGGER = `CREATE TRIGGER IF NOT EXISTS recordings_discard_tiers AFTER DELETE ON recordings
WHEN OLD.tiered OR OLD.tier IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO discards (tier, key, queued_at, next_try_at)
    SELECT tier, key, (julianday('now') - 2440587.5) * 86400.0, 0 FROM copies WHERE recording_id = OLD.id
    UNION ALL SELECT tier, key, (julianday('now') - 2440587.5) * 86400.0, 0 FROM transfers WHERE recording_id = OLD.id
    UNION ALL SELECT OLD.tier, OLD.path, (julianday('now') - 2440587.5) * 86400.0, 0 WHERE OLD.tier IS NOT NULL;
  DELETE FROM copies WHERE recording_id = OLD.id;
  DELETE FROM transfers WHERE recording_id = OLD.id;
  INSERT INTO archive_dirty (kind, camera, period, since)
    VALUES ('hour', OLD.camera, CAST(OLD.start_time / 3600 AS INTEGER) * 3600, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END`;

/**
 * The discards trigger exists while tiers are configured or anything lives or waits in one:
 * even its WHEN costs each deleted row (17% of a bare expiry DELETE, measured), which an
 * archive that never saw a tier should not pay. Called by the keeper as it starts (which owns
 * the database: a command beside it never drops the trigger). Both statements are no-ops when
 * the schema is already as asked.
 */
export function syncDiscardTrigger(db: Db, tiersConfigured: boolean): void {
  const inUse = db.$client
    .query(
      "SELECT EXISTS (SELECT 1 FROM recordings WHERE tier IS NOT NULL) OR EXISTS (SELECT 1 FROM copies) OR EXISTS (SELECT 1 FROM transfers) AS used",
    )
    .get() as { used: number };
  db.$client.run(
    tiersConfigured || inUse.used ? DISCARD_TRIGGER : "DROP TRIGGER IF EXISTS recordings_discard_tiers",
  );
}

export interface Transfer {
  recording_id: string;
  tier: string;
  key: string;
  kind: "move" | "copy";
  queued_at: number;
  attempts: number;
}

/** What a transfer needs of its recording. */
export interface TransferSource {
  id: string;
  tier: string | null;
  path: string;
  segment_size: number;
}

export interface Discard {
  tier: string;
  key: string;
  attempts: number;
}

/**
 * Queues transfers (in the caller's transaction) and marks their recordings as tiered, unless
 * `marked` (rows inserted already marked: the copies queued as footage is stored).
 */
export function queueTransfers(
  db: Db,
  items: readonly { id: string; tier: string; key: string; kind: "move" | "copy"; priority?: number }[],
  now: number,
  marked = false,
): void {
  // A second move of a recording is ignored (transfers_one_move), like a second transfer to a tier.
  const insert = db.$client.query(
    "INSERT OR IGNORE INTO transfers (recording_id, tier, key, kind, queued_at, next_try_at, priority) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const undiscard = db.$client.query("DELETE FROM discards WHERE tier = ? AND key = ?");
  const mark = db.$client.query("UPDATE recordings SET tiered = 1 WHERE id = ? AND NOT tiered");
  for (const t of items) {
    if (!insert.run(t.id, t.tier, t.key, t.kind, now, now, t.priority ?? CONTINUOUS).changes) continue;
    undiscard.run(t.tier, t.key);
    if (!marked) mark.run(t.id);
  }
}

/** Copy tiers every stored segment is queued for as its row is inserted, and its key there. */
export interface CopyOnInsert {
  tiers: readonly string[];
  key: (localPath: string) => string;
}

/**
 * Recordings in `fromTier` (null: local storage) that started before `before` and have neither
 * a move queued (to any tier) nor a transfer to `toTier`, oldest first. The queued ones are the
 * oldest, so the scan passes over at most the queues' length.
 */
export function dueForMove(
  db: Db,
  fromTier: string | null,
  toTier: string,
  before: number,
  limit: number,
): TransferSource[] {
  return db.$client
    .query<TransferSource, [string | null, number, string, number]>(
      `SELECT id, tier, path, segment_size FROM recordings r WHERE tier IS ? AND start_time < ?
     AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.recording_id = r.id AND (t.tier = ? OR t.kind = 'move')) ORDER BY start_time LIMIT ?`,
    )
    .all(fromTier, before, toTier, limit);
}

/**
 * Recordings after `afterRowid` (in rowid order: the walk needs no index of its own) with
 * neither a copy in `tier` nor a transfer there: a new copy tier's backlog.
 */
export function missingCopies(
  db: Db,
  tier: string,
  afterRowid: number,
  limit: number,
): (TransferSource & { rowid: number })[] {
  return db.$client
    .query<TransferSource & { rowid: number }, [number, string, string, string, number]>(
      `SELECT rowid, id, tier, path, segment_size FROM recordings r WHERE rowid > ?
     AND (tier IS NULL OR tier != ?)
     AND NOT EXISTS (SELECT 1 FROM copies c WHERE c.recording_id = r.id AND c.tier = ?)
     AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.recording_id = r.id AND t.tier = ?) ORDER BY rowid LIMIT ?`,
    )
    .all(afterRowid, tier, tier, tier, limit);
}

export function hasPendingTransfers(db: Db, tier: string): boolean {
  return !!db.$client.query("SELECT 1 FROM transfers WHERE tier = ? LIMIT 1").get(tier);
}

export function pendingTransfers(db: Db, tier: string): number {
  return (db.$client.query("SELECT count(*) AS n FROM transfers WHERE tier = ?").get(tier) as { n: number })
    .n;
}

/** The priority of footage no event or motion speaks for (and of every move): last. */
const CONTINUOUS = 3;

/**
 * What a copy of a segment waits behind (docs/tiers.md#events-first): footage of an alert goes
 * first (0), then of a detection (1), then footage with motion (2), then the rest (3). A review
 * item without a severity counts as an alert, as everywhere. Read when it is queued, as it is
 * stored: the events that kept it are known by then.
 */
export function copyPriority(
  db: Db,
  row: { camera: string; start_time: number; end_time: number; motion: number; objects: number },
): number {
  const severities = db.$client
    // Two reads along the (camera, end_time) index: events ended since the segment began, and
    // those still going; never every event of the camera.
    .query<{ severity: string | null }, [string, number, number]>(
      `SELECT severity FROM events INDEXED BY events_camera_end WHERE camera = ?1 AND end_time >= ?2 AND start_time <= ?3 AND has_clip
       UNION ALL SELECT severity FROM events INDEXED BY events_camera_end
       WHERE camera = ?1 AND end_time IS NULL AND start_time <= ?3 AND has_clip`,
    )
    .all(row.camera, row.start_time, row.end_time)
    .map((e) => e.severity ?? "alert");
  if (severities.includes("alert")) return 0;
  if (severities.includes("detection")) return 1;
  return row.motion > 0 || row.objects > 0 ? 2 : CONTINUOUS;
}

/**
 * An event heard after footage it covers was queued for copying moves those copies up to its
 * place (an alert's first): the thief does not wait for the event to end. Segments are looked
 * for from an hour before the event's start (none is longer), along the camera's start index.
 */
export function raiseCopyPriority(
  db: Db,
  e: {
    camera: string;
    start_time: number;
    end_time: number | null;
    severity: string | null;
    has_clip: boolean;
  },
): void {
  if (!e.has_clip) return;
  db.$client.run(
    `UPDATE transfers SET priority = ?1 WHERE kind = 'copy' AND priority > ?1 AND recording_id IN
     (SELECT id FROM recordings WHERE camera = ?2 AND start_time >= ?3 - 3600 AND start_time <= ?4 AND end_time >= ?3)`,
    [e.severity === "detection" ? 1 : 0, e.camera, e.start_time, e.end_time ?? Number.MAX_VALUE],
  );
}

/**
 * A tier's transfers whose time has come, events first, then soonest first (per tier: a tier
 * that is down holds up no other), but for the keys in `busy` (in flight, or verified and
 * waiting for their commit).
 */
export function readyTransfers(
  db: Db,
  tier: string,
  now: number,
  limit: number,
  busy: readonly string[],
): Transfer[] {
  return db.$client
    .query<Transfer, [string, number, string, number]>(
      `SELECT recording_id, tier, key, kind, queued_at, attempts FROM transfers WHERE tier = ? AND next_try_at <= ?
     AND key NOT IN (SELECT value FROM json_each(?)) ORDER BY priority, next_try_at LIMIT ?`,
    )
    .all(tier, now, JSON.stringify(busy), limit);
}

/**
 * Drops the transfers to tiers no longer configured; what they may have written there is
 * left to remove, should the tier come back.
 */
export function dropTransfersOutside(db: Db, tiers: readonly string[], now: number): number {
  return db.$client.transaction(() => {
    const outside = "(SELECT value FROM json_each(?))";
    db.$client
      .query(
        `INSERT OR IGNORE INTO discards (tier, key, queued_at, next_try_at) SELECT tier, key, ?, ? FROM transfers WHERE tier NOT IN ${outside}`,
      )
      .run(now, now, JSON.stringify(tiers));
    return db.$client.query(`DELETE FROM transfers WHERE tier NOT IN ${outside}`).run(JSON.stringify(tiers))
      .changes;
  })();
}

export function transferSource(db: Db, id: string): TransferSource | undefined {
  return (
    db.$client
      .query<TransferSource, [string]>("SELECT id, tier, path, segment_size FROM recordings WHERE id = ?")
      .get(id) ?? undefined
  );
}

export function failTransfer(db: Db, t: Transfer, nextTryAt: number, error: string): void {
  db.$client
    .query(
      "UPDATE transfers SET attempts = attempts + 1, next_try_at = ?, last_error = ? WHERE recording_id = ? AND tier = ?",
    )
    .run(nextTryAt, error.slice(0, 500), t.recording_id, t.tier);
}

/** Drops a transfer that has nothing left to do (its recording is already there). */
export function dropTransfer(db: Db, t: Pick<Transfer, "recording_id" | "tier">): void {
  db.$client.query("DELETE FROM transfers WHERE recording_id = ? AND tier = ?").run(t.recording_id, t.tier);
}

/**
 * Drops a transfer that is not to happen (its recording went, or is no longer where the move
 * was to take it from): an earlier attempt may have written its object, which is discarded
 * unless a row or copy points at it.
 */
export function abandonTransfer(
  db: Db,
  t: Pick<Transfer, "recording_id" | "tier" | "key">,
  now: number,
): void {
  db.$client.transaction(() => {
    dropTransfer(db, t);
    if (!pointedAt(db, t.tier, t.key)) discard(db, t.tier, t.key, now);
  })();
}

function discard(db: Db, tier: string, key: string, now: number): void {
  db.$client
    .query("INSERT OR IGNORE INTO discards (tier, key, queued_at, next_try_at) VALUES (?, ?, ?, ?)")
    .run(tier, key, now, now);
}

/**
 * A verified copy counts: recorded in `copies`, or for a move the row repointed to it (and
 * the source, when in a tier, discarded). When the recording went meanwhile, or moved on, the
 * new object is garbage. Returns the local path the row no longer points at, if any: the
 * caller removes that file once this has committed.
 */
export function commitTransfer(
  db: Db,
  t: Transfer,
  source: TransferSource,
  bytes: number,
  md5: string | null,
  now: number,
): { localLeft?: string; counted: boolean } {
  return db.$client.transaction(() => {
    dropTransfer(db, t);
    if (t.kind === "copy") {
      const added = db.$client
        .query(
          "INSERT OR REPLACE INTO copies (recording_id, tier, key, bytes, md5, verified_at) SELECT id, ?, ?, ?, ?, ? FROM recordings WHERE id = ? AND (tier IS NULL OR tier != ?)",
        )
        .run(t.tier, t.key, bytes, md5, now, t.recording_id, t.tier);
      if (!added.changes) discard(db, t.tier, t.key, now);
      return { counted: added.changes > 0 };
    }
    const moved = db.$client
      .query("UPDATE recordings SET tier = ?, path = ?, tiered = 1 WHERE id = ? AND tier IS ? AND path = ?")
      .run(t.tier, t.key, t.recording_id, source.tier, source.path);
    if (!moved.changes) {
      discard(db, t.tier, t.key, now);
      return { counted: false };
    }
    // A copy already in the target tier is now the row's own copy.
    db.$client.query("DELETE FROM copies WHERE recording_id = ? AND tier = ?").run(t.recording_id, t.tier);
    if (source.tier !== null) {
      discard(db, source.tier, source.path, now);
      return { counted: true };
    }
    return { counted: true, localLeft: source.path };
  })();
}

/** A local recording with a verified copy elsewhere. */
export interface LocalWithCopy {
  id: string;
  path: string;
  start_time: number;
  tier: string;
  key: string;
}

/**
 * Local recordings with a verified copy elsewhere, oldest first, after the key (start, id):
 * what disk protection frees first, a page at a time (those it kept are not read again).
 */
export function localWithCopies(
  db: Db,
  after: { start: number; id: string },
  limit: number,
): LocalWithCopy[] {
  return db.$client
    .query<LocalWithCopy, [number, string, number]>(
      `SELECT r.id, r.path, r.start_time, c.tier, c.key FROM recordings r JOIN copies c ON c.recording_id = r.id
     WHERE r.tier IS NULL AND (r.start_time, r.id) > (?, ?) AND r.tiered ORDER BY r.start_time, r.id LIMIT ?`,
    )
    .all(after.start, after.id, limit);
}

/**
 * A copy found missing or damaged: no longer counted, and queued to be made again (the copy
 * tier is to hold every kept segment).
 */
export function forgetCopy(db: Db, id: string, tier: string, key: string, now: number): void {
  db.$client.transaction(() => {
    db.$client.query("DELETE FROM copies WHERE recording_id = ? AND tier = ?").run(id, tier);
    queueTransfers(db, [{ id, tier, key, kind: "copy" }], now);
  })();
}

/** Points a local recording at its verified copy in `tier` instead (the copy stops being a separate one). */
export function repointToCopy(db: Db, id: string, localPath: string, tier: string, key: string): boolean {
  return db.$client.transaction(() => {
    const moved = db.$client
      .query("UPDATE recordings SET tier = ?, path = ? WHERE id = ? AND tier IS NULL AND path = ?")
      .run(tier, key, id, localPath);
    if (moved.changes)
      db.$client.query("DELETE FROM copies WHERE recording_id = ? AND tier = ?").run(id, tier);
    return moved.changes > 0;
  })();
}

export function readyDiscards(db: Db, tier: string, now: number, limit: number): Discard[] {
  return db.$client
    .query<Discard, [string, number, number]>(
      "SELECT tier, key, attempts FROM discards WHERE tier = ? AND next_try_at <= ? ORDER BY next_try_at LIMIT ?",
    )
    .all(tier, now, limit);
}

/**
 * Whether a row or a copy points at (tier, key), or a transfer is queued to write it: such an
 * object is never removed (the transfer's end decides its fate). A transfer's recording has
 * the key as its path (in a tier) or `localPath` (local): found by the path index, so no index
 * on the transfers' keys is written for every queued copy.
 */
export function stillNeeded(db: Db, tier: string, key: string, localPath: string): boolean {
  return (
    pointedAt(db, tier, key) ||
    !!db.$client
      .query(
        "SELECT 1 FROM recordings r JOIN transfers t ON t.recording_id = r.id WHERE r.path IN (?1, ?3) AND t.tier = ?2 AND t.key = ?1 LIMIT 1",
      )
      .get(key, tier, localPath)
  );
}

/** Whether a row or a copy points at (tier, key). */
function pointedAt(db: Db, tier: string, key: string): boolean {
  return !!db.$client
    .query(
      "SELECT 1 FROM recordings WHERE path = ?1 AND tier = ?2 UNION ALL SELECT 1 FROM copies WHERE tier = ?2 AND key = ?1 LIMIT 1",
    )
    .get(key, tier);
}

export function doneDiscard(db: Db, d: Pick<Discard, "tier" | "key">): void {
  db.$client.query("DELETE FROM discards WHERE tier = ? AND key = ?").run(d.tier, d.key);
}

export function failDiscard(db: Db, d: Discard, nextTryAt: number): void {
  db.$client
    .query("UPDATE discards SET attempts = attempts + 1, next_try_at = ? WHERE tier = ? AND key = ?")
    .run(nextTryAt, d.tier, d.key);
}

/** A discard that cannot go now (its object is being written again): not ready before `nextTryAt`. */
export function postponeDiscard(db: Db, d: Pick<Discard, "tier" | "key">, nextTryAt: number): void {
  db.$client
    .query("UPDATE discards SET next_try_at = ? WHERE tier = ? AND key = ?")
    .run(nextTryAt, d.tier, d.key);
}

export interface TierQueueStats {
  pending: number;
  /** When the oldest pending transfer was queued (epoch s), or null with none. */
  oldestQueuedAt: number | null;
  discards: number;
  /** The newest error of a pending transfer that has failed. */
  lastError: string | null;
}

/** The queues of one tier, as status and metrics show them (bounded by the queues' length). */
export function tierQueueStats(db: Db, tier: string): TierQueueStats {
  const t = db.$client
    .query("SELECT count(*) AS pending, min(queued_at) AS oldest FROM transfers WHERE tier = ?")
    .get(tier) as { pending: number; oldest: number | null };
  const d = db.$client.query("SELECT count(*) AS n FROM discards WHERE tier = ?").get(tier) as { n: number };
  const e = db.$client
    .query(
      "SELECT last_error FROM transfers WHERE tier = ? AND last_error IS NOT NULL ORDER BY next_try_at DESC LIMIT 1",
    )
    .get(tier) as { last_error: string } | null;
  return { pending: t.pending, oldestQueuedAt: t.oldest, discards: d.n, lastError: e?.last_error ?? null };
}

/** Whether any recording or copy lives in a tier (a folder tier's marker must then be there). */
export function tierHoldsFootage(db: Db, tier: string): boolean {
  return !!db.$client
    .query("SELECT 1 FROM recordings WHERE tier = ? UNION ALL SELECT 1 FROM copies WHERE tier = ? LIMIT 1")
    .get(tier, tier);
}

/** A recording whose row points at `key` in some tier: a local file of that key was moved away. */
export function movedAway(db: Db, key: string): boolean {
  return !!db.$client.query("SELECT 1 FROM recordings WHERE path = ? AND tier IS NOT NULL").get(key);
}

/** A row or a copy pointing at a key in a tier: what comparing a tier with the index reads. */
export interface TierEntry {
  kind: "row" | "copy";
  id: string;
  key: string;
}

/**
 * What points at `tier`, by key after `afterKey`, `limit` at a time: recordings' rows (keys
 * sort after every absolute local path, on the path index) and copies (on their tier+key index).
 */
export function tierEntriesAfter(db: Db, tier: string, afterKey: string, limit: number): TierEntry[] {
  return db.$client
    .query<TierEntry, [string, string, string, string, number]>(
      `SELECT 'row' AS kind, id, path AS key FROM recordings WHERE path > ? AND tier = ?
     UNION ALL SELECT 'copy', recording_id, key FROM copies WHERE tier = ? AND key > ? ORDER BY key LIMIT ?`,
    )
    .all(afterKey || "0", tier, tier, afterKey, limit); // "0": keys begin with a year, local paths with "/"
}

/**
 * Rows found pointing at a file their tier does not hold, each only if it still points there
 * (it may have moved on meanwhile): pointed at a copy in another tier when there is one, else
 * removed, with the rollups. Returns what went and how many found another copy.
 */
export function dropLostTierRows(
  db: Db,
  tier: string,
  lost: readonly TierEntry[],
): { gone: RollupRow[]; repointed: number } {
  const copy = db.$client.query<{ tier: string; key: string }, [string]>(
    "SELECT tier, key FROM copies WHERE recording_id = ? LIMIT 1",
  );
  const repoint = db.$client.query(
    "UPDATE recordings SET tier = ?, path = ? WHERE id = ? AND tier = ? AND path = ?",
  );
  const forget = db.$client.query("DELETE FROM copies WHERE recording_id = ? AND tier = ?");
  const del = db.$client.query<RollupRow, [string, string, string]>(
    "DELETE FROM recordings WHERE id = ? AND tier = ? AND path = ? RETURNING camera, start_time, duration, segment_size, motion, objects",
  );
  return db.$client.transaction(() => {
    const gone: RollupRow[] = [];
    let repointed = 0;
    for (const e of lost) {
      const other = copy.get(e.id);
      if (other && repoint.run(other.tier, other.key, e.id, tier, e.key).changes) {
        forget.run(e.id, other.tier);
        repointed++;
      } else gone.push(...del.all(e.id, tier, e.key));
    }
    applyToRollups(db, gone, -1);
    return { gone, repointed };
  })();
}
