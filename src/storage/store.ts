import { renameSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { insertRecordings, recordingByPath } from "../db/recordings.ts";
import type { Db } from "../db/open.ts";
import type { CopyOnInsert } from "../db/tiers.ts";
import { newId } from "../domain/id.ts";
import type { MediaEngine } from "../media/engine.ts";
import { fsyncDir, fsyncPath, mkdirDurable } from "./durable.ts";
import { storagePath, tempPathFor } from "./layout.ts";
import { inspectMp4 } from "../media/mp4/inspect.ts";
import { fileSource } from "../media/mp4/source.ts";

// The crash-safe store of one segment: placed under a temporary name, renamed, then indexed.

export interface StoreRequest {
  cachePath: string;
  camera: string;
  start: number;
  end: number;
  duration: number;
  motion: number;
  objects: number;
  unjudged: boolean;
}

/** The steps of a store after which a crash leaves a distinct state (docs/design.md#crash-safety). */
export type StoreStep = "after-copy" | "after-rename" | "after-row" | "after-unlink";

/**
 * Called after each step of a store. Production passes none; the crash tests pass one that
 * kills the process there, so that every intermediate state is really reached and recovered.
 */
export type StoreFaults = (step: StoreStep) => void;

/** A segment whose complete copy is in storage under its final name, not yet indexed. */
export interface Placed {
  req: StoreRequest;
  path: string;
  bytes: number;
  /** SHA-256 (hex) of the stored bytes, computed while they were written (docs/evidence.md). */
  sha256: string;
}

export type PlaceOutcome =
  | { kind: "placed"; placed: Placed }
  | { kind: "already_stored"; path: string }
  | { kind: "conflict"; path: string }; // another segment already holds that name

/**
 * Moving kept segments from the cache into storage, in the order that makes every crash
 * recoverable without losing footage or indexing a lie (docs/design.md#crash-safety):
 *   1. copy (moov first) to a temporary name, flush it;
 *   2. rename to the final name, flush the folder;      → a complete file, maybe without a row
 *   3. insert the rows, many segments in one transaction → indexed, cache copies still there
 *   4. remove the cache files.
 * A crash before 2 leaves a temporary file (removed on start) and the cache file (retried).
 * A crash between 2 and 3 leaves a complete file without a row (indexed on start). A crash
 * between 3 and 4 leaves a cache file whose copy is indexed: it is removed, not copied again.
 * Steps 1–2 are placeSegment(), one segment at a time; 3–4 are indexPlaced(), for all the
 * segments a pass placed: one commit for many rows spares the SD card (docs/design.md#crash-safety).
 */
export async function placeSegment(
  db: Db,
  media: MediaEngine,
  root: string,
  req: StoreRequest,
  faults?: StoreFaults,
): Promise<PlaceOutcome> {
  const path = storagePath(root, req.camera, req.start);
  const existing = recordingByPath(db, path);
  if (existing) {
    // Same camera, start, length and media: this cache file was stored before a crash kept it
    // from being removed. Anything else is a different segment with a colliding name (a
    // recorder restarted within the same second): keep both.
    if (Math.abs(existing.duration - req.duration) > 0.5 || !(await sameMedia(req.cachePath, existing.path)))
      return { kind: "conflict", path };
    unlinkSync(req.cachePath);
    return { kind: "already_stored", path };
  }

  const dir = dirname(path);
  mkdirDurable(dir);
  const temp = tempPathFor(path);
  let sha256: string;
  try {
    sha256 = await media.faststartCopy(req.cachePath, temp);
    fsyncPath(temp);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      /* never created */
    }
    throw e;
  }
  faults?.("after-copy");
  renameSync(temp, path);
  fsyncDir(dir);
  faults?.("after-rename");
  return { kind: "placed", placed: { req, path, bytes: statSync(path).size, sha256 } };
}

/**
 * Whether two MP4s carry the same media: a moov-first copy keeps the media data, so their
 * media data sizes are equal; another segment's compressed media almost never is. Unreadable
 * by the native path: not the same (keeping both costs some space, removing the wrong one
 * footage).
 */
async function sameMedia(a: string, b: string): Promise<boolean> {
  const mediaBytes = async (path: string) => {
    const src = await fileSource(path);
    try {
      return (await inspectMp4(src)).mdats.reduce((n, m) => n + m.end - m.start, 0);
    } finally {
      await src.close();
    }
  };
  try {
    const [x, y] = await Promise.all([mediaBytes(a), mediaBytes(b)]);
    return x === y;
  } catch {
    return false;
  }
}

/** Steps 3 and 4 for placed segments: their rows (and copy tiers' transfers) in one transaction, then their cache files removed. */
export function indexPlaced(
  db: Db,
  placed: readonly Placed[],
  faults?: StoreFaults,
  copyTo?: CopyOnInsert,
): void {
  if (!placed.length) return;
  insertRecordings(
    db,
    placed.map(({ req, path, bytes, sha256 }) => ({
      id: newId(req.start),
      camera: req.camera,
      path,
      start_time: req.start,
      end_time: req.end,
      duration: req.duration,
      motion: req.motion,
      objects: req.objects,
      segment_size: bytes,
      unjudged: req.unjudged,
      sha256,
    })),
    copyTo,
  );
  faults?.("after-row");
  for (const { req } of placed) {
    try {
      unlinkSync(req.cachePath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    faults?.("after-unlink");
  }
}
