import { renameSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { insertRecording, recordingByPath } from "../db/recordings.ts";
import type { Db } from "../db/open.ts";
import { newId } from "../domain/id.ts";
import type { MediaEngine } from "../media/engine.ts";
import { fsyncDir, fsyncPath, mkdirDurable } from "./durable.ts";
import { storagePath, tempPathFor } from "./layout.ts";

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

export type StoreOutcome =
  | { kind: "stored"; path: string; bytes: number }
  | { kind: "already_stored"; path: string }
  | { kind: "conflict"; path: string }; // another segment already holds that name

/** Test hook: CAMKEEP_CRASH_AT=<step> kills the process with SIGKILL at that step of a store. */
const crashAt = process.env.CAMKEEP_CRASH_AT;
function crashPoint(step: "after-copy" | "after-rename" | "after-row" | "after-unlink"): void {
  if (crashAt === step) process.kill(process.pid, "SIGKILL");
}

/**
 * Moving one kept segment from the cache into storage, in the order that makes every crash
 * recoverable without losing footage or indexing a lie (SPEC 8):
 *   1. copy (moov first) to a temporary name, flush it;
 *   2. rename to the final name, flush the folder;      → a complete file, maybe without a row
 *   3. insert the row;                                  → indexed, cache copy still there
 *   4. remove the cache file.
 * A crash before 2 leaves a temporary file (removed on start) and the cache file (retried).
 * A crash between 2 and 3 leaves a complete file without a row (indexed on start). A crash
 * between 3 and 4 leaves a cache file whose copy is indexed: it is removed, not copied again.
 */
export async function storeSegment(db: Db, media: MediaEngine, root: string, req: StoreRequest): Promise<StoreOutcome> {
  const path = storagePath(root, req.camera, req.start);
  const existing = recordingByPath(db, path);
  if (existing) {
    // Same camera, start and length: this cache file was stored before a crash kept it from
    // being removed. Anything else is a different segment with a colliding name: keep both.
    if (Math.abs(existing.duration - req.duration) > 0.5) return { kind: "conflict", path };
    unlinkSync(req.cachePath);
    return { kind: "already_stored", path };
  }

  const dir = dirname(path);
  mkdirDurable(dir);
  const temp = tempPathFor(path);
  try {
    await media.faststartCopy(req.cachePath, temp);
    fsyncPath(temp);
  } catch (e) {
    try { unlinkSync(temp); } catch { /* never created */ }
    throw e;
  }
  crashPoint("after-copy");
  renameSync(temp, path);
  fsyncDir(dir);
  crashPoint("after-rename");

  const bytes = statSync(path).size;
  insertRecording(db, {
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
  });
  crashPoint("after-row");
  unlinkSync(req.cachePath);
  crashPoint("after-unlink");
  return { kind: "stored", path, bytes };
}
