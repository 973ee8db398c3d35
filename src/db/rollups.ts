import type { Db } from "./open.ts";

/**
 * The per-camera quarter-hour rollups of recordings and events (table recording_buckets), and
 * each camera's totals (table camera_totals). Every function that inserts or deletes recordings calls applyToRollups() in the same
 * transaction, and every insert or delete of an event countEvent(), so the rollups are exact
 * whatever crashes: a transaction lands whole or not at all.
 */

import { BUCKET_SECONDS, bucketOf } from "../domain/buckets.ts";
import type { StoredSums } from "../domain/forecast.ts";

/** What a rollup needs of a recording. */
export interface RollupRow {
  camera: string;
  start_time: number;
  duration: number;
  segment_size: number;
  motion: number;
  objects: number;
}

/** Adds (+1) or takes away (−1) recordings from their buckets; a bucket left with none goes. */
export function applyToRollups(db: Db, rows: readonly RollupRow[], sign: 1 | -1): void {
  if (!rows.length) return;
  // Rows mostly come in time order per camera: runs of one bucket are summed here, and a
  // bucket met again later is simply upserted again (expiry passes millions of rows).
  const groups: {
    camera: string;
    bucket: number;
    segments: number;
    ms: number;
    bytes: number;
    motion: number;
    objects: number;
  }[] = [];
  let g: (typeof groups)[number] | undefined;
  for (const r of rows) {
    const bucket = bucketOf(r.start_time);
    if (!g || g.bucket !== bucket || g.camera !== r.camera)
      groups.push((g = { camera: r.camera, bucket, segments: 0, ms: 0, bytes: 0, motion: 0, objects: 0 }));
    g.segments++;
    g.ms += Math.round(r.duration * 1000);
    g.bytes += r.segment_size;
    g.motion += r.motion;
    g.objects += r.objects;
  }
  const upsert = db.$client.query(
    `INSERT INTO recording_buckets (camera, bucket, segments, duration_ms, bytes, motion, objects) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (camera, bucket) DO UPDATE SET segments = segments + excluded.segments, duration_ms = duration_ms + excluded.duration_ms,
       bytes = bytes + excluded.bytes, motion = motion + excluded.motion, objects = objects + excluded.objects`,
  );
  const emptied = db.$client.query(
    "DELETE FROM recording_buckets WHERE camera = ? AND bucket = ? AND segments <= 0 AND events <= 0",
  );
  for (const g of groups) {
    upsert.run(
      g.camera,
      g.bucket,
      sign * g.segments,
      sign * g.ms,
      sign * g.bytes,
      sign * g.motion,
      sign * g.objects,
    );
    if (sign < 0) emptied.run(g.camera, g.bucket);
  }
  applyToTotals(db, groups, sign);
}

/** The same sums per camera (table camera_totals); a camera left with no footage goes. */
function applyToTotals(
  db: Db,
  groups: readonly { camera: string; segments: number; ms: number; bytes: number }[],
  sign: 1 | -1,
): void {
  const byCamera = new Map<string, { segments: number; ms: number; bytes: number }>();
  for (const g of groups) {
    const t = byCamera.get(g.camera) ?? { segments: 0, ms: 0, bytes: 0 };
    t.segments += g.segments;
    t.ms += g.ms;
    t.bytes += g.bytes;
    byCamera.set(g.camera, t);
  }
  const upsert = db.$client.query(
    `INSERT INTO camera_totals (camera, segments, duration_ms, bytes) VALUES (?, ?, ?, ?)
     ON CONFLICT (camera) DO UPDATE SET segments = segments + excluded.segments,
       duration_ms = duration_ms + excluded.duration_ms, bytes = bytes + excluded.bytes`,
  );
  const emptied = db.$client.query("DELETE FROM camera_totals WHERE camera = ? AND segments <= 0");
  for (const [camera, t] of byCamera) {
    upsert.run(camera, sign * t.segments, sign * t.ms, sign * t.bytes);
    if (sign < 0) emptied.run(camera);
  }
}

/** A quarter hour of a camera: [start (epoch s), seconds of footage, motion, objects, events]. */
export type SummaryBucket = [
  bucket: number,
  duration: number,
  motion: number,
  objects: number,
  events: number,
];

/** A camera's footage and events per quarter hour, from the rollups (not from every segment and event), oldest first. */
export function summaryBuckets(db: Db, camera: string): SummaryBucket[] {
  return db.$client
    .query<Record<string, number>, [string]>(
      "SELECT bucket, duration_ms / 1000.0, motion, objects, events FROM recording_buckets WHERE camera = ? ORDER BY bucket",
    )
    .values(camera) as unknown as SummaryBucket[];
}

/** A camera's quarter hours overlapping [after, before], oldest first, with what they hold. */
export function bucketsBetween(db: Db, camera: string, after: number, before: number) {
  return db.$client
    .query<
      { bucket: number; segments: number; duration: number; motion: number; objects: number; events: number },
      [string, number, number]
    >(
      `SELECT bucket, segments, duration_ms / 1000.0 AS duration, motion, objects, events FROM recording_buckets
       WHERE camera = ? AND bucket > ? AND bucket <= ? ORDER BY bucket`,
    )
    .all(camera, after - BUCKET_SECONDS, before);
}

/** Counts an event in (+1) or out of (−1) its quarter hour; a bucket left with nothing goes. */
export function countEvent(db: Db, camera: string, start: number, by: 1 | -1): void {
  const bucket = bucketOf(start);
  db.$client
    .query(
      "INSERT INTO recording_buckets (camera, bucket, segments, duration_ms, bytes, motion, objects, events) VALUES (?, ?, 0, 0, 0, 0, 0, ?) ON CONFLICT (camera, bucket) DO UPDATE SET events = events + excluded.events",
    )
    .run(camera, bucket, by);
  if (by < 0)
    db.$client
      .query(
        "DELETE FROM recording_buckets WHERE camera = ? AND bucket = ? AND segments <= 0 AND events <= 0",
      )
      .run(camera, bucket);
}

/**
 * What a camera stored, summed from the rollups in SQLite (the forecast's input,
 * docs/storage.md#days-left): its last day and last week before `now`, and its bytes per UTC day
 * of the last 30 — a few rows, whatever the archive's size.
 */
export function storedSums(db: Db, camera: string, now: number): StoredSums {
  // One range of the primary key a sum (a GROUP BY over the month costs a temporary B-tree more).
  const sum = db.$client.query<{ b: number | null }, [string, number, number]>(
    "SELECT sum(bytes) AS b FROM recording_buckets WHERE camera = ? AND bucket >= ? AND bucket < ?",
  );
  const within = (from: number, to: number) => sum.get(camera, from, to)?.b ?? 0;
  const today = Math.floor(now / 86_400) * 86_400;
  const days = Array.from({ length: 30 }, (_, i) => {
    const day = today - (29 - i) * 86_400;
    return { day, bytes: within(day, day + 86_400) };
  });
  return { lastDay: within(now - 86_400, now), lastWeek: within(now - 7 * 86_400, now), days };
}
