import { existsSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { deleteRecordings, insertRecording, recordingCount, recordingPathsAfter, recordingsUnder } from "../db/recordings.ts";
import type { Db } from "../db/open.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine } from "../media/engine.ts";
import { plausibleDuration } from "../domain/segment.ts";
import { newId } from "../domain/id.ts";
import { isTempName, parseStoragePath } from "./layout.ts";
import { claimVolume, VOLUME_MARKER } from "./volume.ts";

const log = logger("reconcile");

export interface ReconcileReport {
  /** False when storage looked unmounted or most rows lacked files: nothing was changed. */
  ok: boolean;
  reason?: string;
  tempRemoved: number;
  indexed: number;
  unreadableRemoved: number;
  rowsRemoved: number;
}

/**
 * Brings the index and storage back in line after a crash (SPEC 8): temporary files removed,
 * complete files without rows indexed (or removed when unreadable), rows without files removed.
 * Folder by folder, each compared with the rows under it through the path index, so memory
 * is bounded by one folder, not by the archive.
 */
export async function reconcileStorage(db: Db, media: MediaEngine, root: string): Promise<ReconcileReport> {
  const report: ReconcileReport = { ok: true, tempRemoved: 0, indexed: 0, unreadableRemoved: 0, rowsRemoved: 0 };
  const rows = recordingCount(db);
  if (!claimVolume(root, rows)) {
    return { ...report, ok: false, reason: `storage ${root} lacks ${VOLUME_MARKER} while ${rows} recordings are indexed: is the disk mounted?` };
  }

  const orphans: string[] = [];
  const missing: string[] = [];
  const visited = new Set<string>();
  let matched = 0;
  const walk = (dir: string) => {
    visited.add(dir);
    const files = new Set<string>();
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && isTempName(entry.name)) {
        unlinkSync(path);
        report.tempRemoved++;
      } else if (entry.isFile() && parseStoragePath(root, path)) files.add(path);
    }
    for (const row of recordingsUnder(db, dir)) {
      if (dirname(row.path) !== dir) continue; // deeper rows belong to their own folder
      if (files.delete(row.path)) matched++;
      else missing.push(row.id);
    }
    orphans.push(...files);
  };
  walk(root);

  // Rows in folders that no longer exist at all: one bounded-memory pass over the path index.
  if (matched + missing.length < rows) {
    for (let after = "", page; (page = recordingPathsAfter(db, after, 10_000)).length; after = page.at(-1)!.path) {
      for (const row of page) if (!visited.has(dirname(row.path)) && !existsSync(row.path)) missing.push(row.id);
    }
  }

  if (rows > 0 && missing.length > rows / 2) {
    return { ...report, ok: false, reason: `${missing.length} of ${rows} indexed recordings have no file in ${root}: changing nothing (wrong disk mounted?)` };
  }
  deleteRecordings(db, missing);
  report.rowsRemoved = missing.length;

  for (const path of orphans) {
    const where = parseStoragePath(root, path)!;
    const duration = await media.probeDuration(path);
    if (duration === null || !plausibleDuration(duration)) {
      unlinkSync(path);
      report.unreadableRemoved++;
      log.warn(`removed unreadable file ${path} that no recording pointed to`);
      continue;
    }
    // Its activity is lost: index it as unjudged so no retention mode expires it early.
    insertRecording(db, {
      id: newId(where.start), camera: where.camera, path,
      start_time: where.start, end_time: where.start + duration, duration,
      motion: 0, objects: 0, segment_size: statSync(path).size, unjudged: true,
    });
    report.indexed++;
  }
  if (report.tempRemoved || report.indexed || report.unreadableRemoved || report.rowsRemoved) {
    log.info(`reconciled storage: ${report.tempRemoved} temporary files removed, ${report.indexed} files indexed, ${report.unreadableRemoved} unreadable files removed, ${report.rowsRemoved} rows without files removed`);
  }
  return report;
}
