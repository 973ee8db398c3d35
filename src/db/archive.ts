import { type Case, restoreCase } from "./cases.ts";
import { deleteEvent, eventOfRow, insertEvent, type RawEvent } from "./events.ts";
import type { Db } from "./open.ts";
import { deleteRecordings, insertRecordings } from "./recordings.ts";
import type { Event, NewRecording } from "./schema.ts";

// What the bucket's archive (docs/archive.md) reads of the index: the marks the triggers leave
// (drizzle/0016_archive.sql), and what each kind of manifest says.

export type ArchiveKind = "hour" | "events" | "cases";

/** A manifest to write again: its kind, camera, period, and how many changes marked it. */
export interface ArchiveMark {
  kind: ArchiveKind;
  camera: string;
  period: number;
  changes: number;
}

/**
 * Marks to write now, events and cases first (they are written at once), then hours marked at
 * least `hourWait` seconds ago (a busy hour is written once a while, not per segment).
 */
export function readyMarks(db: Db, now: number, hourWait: number, limit: number): ArchiveMark[] {
  return db.$client
    .query<ArchiveMark, [number, number]>(
      `SELECT kind, camera, period, changes FROM archive_dirty WHERE kind != 'hour' OR since <= ?
       ORDER BY kind = 'hour', since LIMIT ?`,
    )
    .all(now - hourWait, limit);
}

/** Takes a written mark away, unless it was marked again meanwhile (it is then written again). */
export function clearMark(db: Db, m: ArchiveMark): void {
  db.$client.run("DELETE FROM archive_dirty WHERE kind = ? AND camera = ? AND period = ? AND changes = ?", [
    m.kind,
    m.camera,
    m.period,
    m.changes,
  ]);
}

/** How many manifests wait to be written. */
export function pendingMarks(db: Db): number {
  return db.$client.query<{ n: number }, []>("SELECT count(*) AS n FROM archive_dirty").get()!.n;
}

/** Drops every mark: no archive is written (no bucket tier), so none is owed. */
export function clearAllMarks(db: Db): void {
  db.$client.run("DELETE FROM archive_dirty");
}

/**
 * Marks everything an archive holds: what a bucket tier added to a box with footage must be
 * given once (every hour with footage in a tier or a seal, every day with events, the cases).
 * Once per tier ever: it reads the whole index.
 */
export function markEverything(db: Db, now: number): void {
  const hour = "CAST(start_time / 3600 AS INTEGER) * 3600";
  const upsert = "ON CONFLICT (kind, camera, period) DO NOTHING";
  db.$client.transaction(() => {
    db.$client.run(
      `INSERT INTO archive_dirty (kind, camera, period, since)
       SELECT DISTINCT 'hour', camera, ${hour}, ?1 FROM recordings WHERE tiered OR tier IS NOT NULL
       UNION SELECT DISTINCT 'hour', camera, hour, ?1 FROM seals WHERE true ${upsert}`,
      [now],
    );
    db.$client.run(
      `INSERT INTO archive_dirty (kind, camera, period, since)
       SELECT DISTINCT 'events', camera, CAST(start_time / 86400 AS INTEGER) * 86400, ?1 FROM events WHERE true ${upsert}`,
      [now],
    );
    db.$client.run(
      `INSERT INTO archive_dirty (kind, camera, period, since) VALUES ('cases', '', 0, ?) ${upsert}`,
      [now],
    );
  })();
}

/** A segment as an hour's manifest lists it (docs/archive.md). */
export interface ArchivedSegment {
  id: string;
  key: string;
  start: number;
  end: number;
  duration: number;
  size: number;
  sha256: string | null;
  motion: number;
  objects: number;
  unjudged: boolean;
}

/** A camera's segments starting in [hour, hour + 1 h) that `tier` holds (its row points there, or a copy). */
export function segmentsInTier(db: Db, tier: string, camera: string, hour: number): ArchivedSegment[] {
  return db.$client
    .query<Omit<ArchivedSegment, "unjudged"> & { unjudged: number }, [string, string, number, number]>(
      `SELECT r.id, coalesce(c.key, r.path) AS key, r.start_time AS start, r.end_time AS end, r.duration,
         r.segment_size AS size, r.sha256, r.motion, r.objects, r.unjudged
       FROM recordings r LEFT JOIN copies c ON c.recording_id = r.id AND c.tier = ?1
       WHERE r.camera = ?2 AND r.start_time >= ?3 AND r.start_time < ?4 AND (r.tier = ?1 OR c.key IS NOT NULL)
       ORDER BY r.start_time`,
    )
    .all(tier, camera, hour, hour + 3600)
    .map((s) => ({ ...s, unjudged: s.unjudged === 1 }));
}

/** A seal as the archive carries it: its place in the camera's chain (`id`), kind, text, hash, signature. */
export interface ArchivedSeal {
  id: number;
  kind: "hour" | "amendment";
  body: string;
  hash: string;
  signature: Uint8Array;
}

/** A camera's seals of one hour (the hour's and its amendments), in the order they were made. */
export function sealsOfHour(db: Db, camera: string, hour: number): ArchivedSeal[] {
  return db.$client
    .query<ArchivedSeal, [string, number]>(
      "SELECT id, kind, body, hash, signature FROM seals WHERE camera = ? AND hour = ? ORDER BY id",
    )
    .all(camera, hour);
}

/** What rules deleted of a camera's footage starting in [from, to): runs, each with its rule and time. */
export interface ArchivedDeletion {
  first: number;
  last: number;
  segments: number;
  rule: string;
  at: number;
}

export function deletionsBetween(db: Db, camera: string, from: number, to: number): ArchivedDeletion[] {
  return db.$client
    .query<ArchivedDeletion, [string, number, number]>(
      `SELECT first_start AS first, last_start AS last, segments, rule, at FROM rule_deletions
       WHERE camera = ? AND first_start < ? AND last_start >= ? ORDER BY at`,
    )
    .all(camera, to, from);
}

/** A camera's events that started in [day, day + 1 d), as stored. */
export function eventsOfDay(db: Db, camera: string, day: number): Event[] {
  return db.$client
    .query<RawEvent, [string, number, number]>(
      "SELECT * FROM events WHERE camera = ? AND start_time >= ? AND start_time < ? ORDER BY start_time, id",
    )
    .all(camera, day, day + 86_400)
    .map(eventOfRow);
}

/** Restores a seal with its place in the chain, and moves its camera's head on (restore only). */
export function restoreSeal(db: Db, camera: string, hour: number, s: ArchivedSeal): void {
  db.$client.run(
    "INSERT OR IGNORE INTO seals (id, camera, hour, kind, body, hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [s.id, camera, hour, s.kind, s.body, s.hash, s.signature],
  );
}

/** Each camera's seal head as its restored seals put it: sealed up to after its last sealed hour, chained after its last seal. */
export function restoreSealHeads(db: Db): void {
  db.$client.run(
    `INSERT OR REPLACE INTO seal_heads (camera, sealed_until, last_hash)
     SELECT camera, coalesce((SELECT max(hour) + 3600 FROM seals h WHERE h.camera = s.camera AND h.kind = 'hour'), 0),
       (SELECT hash FROM seals l WHERE l.camera = s.camera ORDER BY id DESC LIMIT 1)
     FROM (SELECT DISTINCT camera FROM seals) s`,
  );
}

/** Restores rule deletions (a run that spans hours is listed in each: kept once). */
export function restoreDeletions(db: Db, camera: string, runs: readonly ArchivedDeletion[]): void {
  for (const d of runs)
    db.$client.run(
      `INSERT INTO rule_deletions (camera, first_start, last_start, segments, rule, at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM rule_deletions
         WHERE camera = ?1 AND first_start = ?2 AND last_start = ?3 AND rule = ?5 AND at = ?6)`,
      [camera, d.first, d.last, d.segments, d.rule, d.at],
    );
}

/**
 * A viewer's copy of one site's camera-hour made what the site's manifest says now (docs/archive.md#viewer-mode):
 * its rows replaced, in one transaction. A viewer deletes nothing in a bucket: the discards its
 * deletions leave are dropped with them.
 */
export function replaceSiteHour(
  db: Db,
  tier: string,
  camera: string,
  hour: number,
  rows: readonly NewRecording[],
): void {
  db.$client.transaction(() => {
    const ids = db.$client
      .query<{ id: string }, [string, number, number]>(
        "SELECT id FROM recordings WHERE camera = ? AND start_time >= ? AND start_time < ?",
      )
      .all(camera, hour, hour + 3600)
      .map((r) => r.id);
    deleteRecordings(db, ids);
    insertRecordings(db, rows);
    db.$client.run("DELETE FROM discards WHERE tier = ?", [tier]);
  })();
}

/** A viewer's copy of one site's camera-day of events made what the site's document says now. */
export function replaceSiteEvents(db: Db, camera: string, day: number, events: readonly Event[]): void {
  db.$client.transaction(() => {
    for (const e of eventsOfDay(db, camera, day)) deleteEvent(db, e.id);
    for (const e of events) insertEvent(db, e);
  })();
}

/** A viewer's copy of one site's cases (ids beginning `<site>.`) made what the site's document says now. */
export function replaceSiteCases(db: Db, site: string, cases: readonly Case[]): void {
  db.$client.transaction(() => {
    const prefix = `${site}.`;
    db.$client.run("DELETE FROM case_spans WHERE case_id >= ? AND case_id < ?", [prefix, `${prefix}\uffff`]);
    db.$client.run("DELETE FROM cases WHERE id >= ? AND id < ?", [prefix, `${prefix}\uffff`]);
    for (const c of cases) restoreCase(db, c);
  })();
}
