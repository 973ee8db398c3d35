import { appendAudit } from "./audit.ts";
import type { Db } from "./open.ts";

// Seals in the index (docs/evidence.md#sealed-hours): the chain per camera, its head, the
// segments stored late into sealed hours, the footage rules deleted.

/** A segment as a seal lists it: start and end (epoch seconds), size in bytes, SHA-256 (hex; null: stored before hashing existed). */
export type SealedSegment = [start: number, end: number, size: number, sha256: string | null];

/** A seal as stored: its text, hash and signature. */
export interface StoredSeal {
  camera: string;
  hour: number;
  body: string;
  hash: string;
  signature: Uint8Array;
}

export interface SealHead {
  sealed_until: number;
  last_hash: string;
}

export function sealHead(db: Db, camera: string): SealHead | undefined {
  return (
    db.$client
      .query<SealHead, [string]>("SELECT sealed_until, last_hash FROM seal_heads WHERE camera = ?")
      .get(camera) ?? undefined
  );
}

/** Cameras that have footage (a small table), whether configured now or not. */
export function camerasWithFootage(db: Db): string[] {
  return db.$client
    .query<{ camera: string }, []>("SELECT camera FROM camera_totals WHERE segments > 0 ORDER BY camera")
    .all()
    .map((r) => r.camera);
}

export function firstRecordingStart(db: Db, camera: string): number | undefined {
  return (
    db.$client
      .query<{ t: number | null }, [string]>("SELECT min(start_time) AS t FROM recordings WHERE camera = ?")
      .get(camera)?.t ?? undefined
  );
}

/** A camera's segments starting in [from, to), in order, as a seal lists them. */
export function sealedSegmentsBetween(db: Db, camera: string, from: number, to: number): SealedSegment[] {
  return db.$client
    .query<{ s: number; e: number; z: number; h: string | null }, [string, number, number]>(
      "SELECT start_time AS s, end_time AS e, segment_size AS z, sha256 AS h FROM recordings WHERE camera = ? AND start_time >= ? AND start_time < ? ORDER BY start_time",
    )
    .all(camera, from, to)
    .map((r) => [r.s, r.e, r.z, r.h]);
}

/** Whether any of a camera's segments in [from, to) has no hash yet (the unhashed index: empty once done). */
export function unhashedBetween(db: Db, camera: string, from: number, to: number): boolean {
  return !!db.$client
    .query(
      "SELECT 1 FROM recordings INDEXED BY recordings_unhashed WHERE sha256 IS NULL AND start_time >= ? AND start_time < ? AND camera = ? LIMIT 1",
    )
    .get(from, to, camera);
}

/**
 * Appends a seal to its camera's chain, in one transaction: the seal, the head (moved on to
 * `sealedUntil` for an hour's seal), and the late segments it amends taken off their queue.
 */
export function appendSeal(
  db: Db,
  seal: StoredSeal,
  sealedUntil: number | undefined,
  amends: readonly string[],
) {
  db.$client.transaction(() => {
    db.$client.run(
      "INSERT INTO seals (camera, hour, kind, body, hash, signature) VALUES (?, ?, ?, ?, ?, ?)",
      [
        seal.camera,
        seal.hour,
        sealedUntil === undefined ? "amendment" : "hour",
        seal.body,
        seal.hash,
        seal.signature,
      ],
    );
    db.$client.run(
      "INSERT INTO seal_heads (camera, sealed_until, last_hash) VALUES (?1, ?2, ?3) ON CONFLICT (camera) DO UPDATE SET sealed_until = max(sealed_until, ?2), last_hash = ?3",
      [seal.camera, sealedUntil ?? 0, seal.hash],
    );
    for (const id of amends) db.$client.run("DELETE FROM late_segments WHERE recording_id = ?", [id]);
  })();
}

export interface LateSegment {
  id: string;
  camera: string;
  start_time: number;
  end_time: number;
  segment_size: number;
  sha256: string | null;
}

/** Segments stored into sealed hours, waiting for their amendment (those deleted meanwhile dropped). */
export function lateSegments(db: Db, limit: number): LateSegment[] {
  db.$client.run(
    "DELETE FROM late_segments WHERE NOT EXISTS (SELECT 1 FROM recordings WHERE id = late_segments.recording_id)",
  );
  return db.$client
    .query<LateSegment, [number]>(
      "SELECT r.id, r.camera, r.start_time, r.end_time, r.segment_size, r.sha256 FROM late_segments l JOIN recordings r ON r.id = l.recording_id ORDER BY r.camera, r.start_time LIMIT ?",
    )
    .all(limit);
}

/** A camera's seals after seal `after` (by id: in the order they were made), `limit` of them. */
export function sealsAfter(
  db: Db,
  camera: string,
  after: number,
  limit: number,
): (StoredSeal & { id: number })[] {
  return db.$client
    .query<StoredSeal & { id: number }, [string, number, number]>(
      "SELECT id, camera, hour, body, hash, signature FROM seals WHERE camera = ? AND id > ? ORDER BY id LIMIT ?",
    )
    .all(camera, after, limit);
}

/** The stored segment of a camera starting at `start`: its size and hash. */
export function storedAt(
  db: Db,
  camera: string,
  start: number,
): { segment_size: number; sha256: string | null } | undefined {
  return (
    db.$client
      .query<{ segment_size: number; sha256: string | null }, [string, number]>(
        "SELECT segment_size, sha256 FROM recordings WHERE camera = ? AND start_time = ? LIMIT 1",
      )
      .get(camera, start) ?? undefined
  );
}

/** Notes footage a rule deleted: per camera, its first and last start, how many, when. */
export function noteRuleDeletions(
  db: Db,
  rule: string,
  gone: readonly { camera: string; start_time: number }[],
  at: number,
): void {
  const byCamera = new Map<string, { first: number; last: number; n: number }>();
  for (const r of gone) {
    const c = byCamera.get(r.camera);
    if (!c) byCamera.set(r.camera, { first: r.start_time, last: r.start_time, n: 1 });
    else {
      c.first = Math.min(c.first, r.start_time);
      c.last = Math.max(c.last, r.start_time);
      c.n++;
    }
  }
  for (const [camera, c] of byCamera)
    db.$client.run(
      "INSERT INTO rule_deletions (camera, first_start, last_start, segments, rule, at) VALUES (?, ?, ?, ?, ?, ?)",
      [camera, c.first, c.last, c.n, rule, at],
    );
  if (byCamera.size)
    appendAudit(db, [
      {
        at,
        actor: "camkeep",
        address: "",
        action: "deleted by rule",
        detail: {
          rule,
          cameras: Object.fromEntries(
            [...byCamera].map(([camera, c]) => [
              camera,
              {
                segments: c.n,
                first: new Date(c.first * 1000).toISOString(),
                last: new Date(c.last * 1000).toISOString(),
              },
            ]),
          ),
        },
      },
    ]);
}

/** The rule that deleted a camera's segment starting at `start`, and when; undefined if none did. */
export function deletedByRule(
  db: Db,
  camera: string,
  start: number,
): { rule: string; at: number } | undefined {
  return (
    db.$client
      .query<{ rule: string; at: number }, [string, number, number]>(
        "SELECT rule, at FROM rule_deletions WHERE camera = ? AND first_start <= ? AND last_start >= ? ORDER BY at DESC LIMIT 1",
      )
      .get(camera, start, start) ?? undefined
  );
}

/** A camera's seals of the hours from `from` up to `to` (epoch seconds), hours and amendments, in order. */
export function sealsBetween(db: Db, camera: string, from: number, to: number): StoredSeal[] {
  return db.$client
    .query<StoredSeal, [string, number, number]>(
      "SELECT camera, hour, body, hash, signature FROM seals WHERE camera = ? AND hour >= ? AND hour < ? ORDER BY id",
    )
    .all(camera, Math.floor(from / 3600) * 3600, to);
}
