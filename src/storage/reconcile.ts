import { sha256OfFile } from "../media/hash.ts";
import { existsSync, statSync, unlinkSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  deleteRecordings,
  insertRecording,
  localRecordingCount,
  recordingPathsAfter,
  recordingsUnder,
} from "../db/recordings.ts";
import { movedAway, type CopyOnInsert } from "../db/tiers.ts";
import { keyOf } from "./layout.ts";
import type { Db } from "../db/open.ts";
import { newId } from "../domain/id.ts";
import { plausibleDuration } from "../domain/segment.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine } from "../media/engine.ts";
import { isTempName, parseStoragePath } from "./layout.ts";
import { claimVolume } from "./volume.ts";

// Start-up reconcile: storage and the index brought back in line after a crash.

const log = logger("reconcile");

export interface ReconcileReport {
  /** False when storage looked unmounted, belonged to another database, or most rows lacked files: nothing was changed. */
  ok: boolean;
  reason?: string;
  tempRemoved: number;
  indexed: number;
  unreadableRemoved: number;
  /** Files without rows whose probe failed (not shown invalid): left as they are, tried at the next reconcile. */
  unprobed: number;
  rowsRemoved: number;
  /** Local files whose recording had moved to a tier (a crash came before their removal): removed. */
  movedAwayRemoved: number;
}

/** Rows removed per statement, with a turn of the event loop between. */
const DELETE_BATCH = 2_000;

/**
 * Brings the index and storage back in line after a crash (docs/design.md#crash-safety): temporary files removed,
 * complete files without rows indexed (or removed when shown invalid), rows without files
 * removed. Folder by folder, each compared with the rows under it through the path index, so
 * memory is bounded by one folder, not by the archive; and asynchronously, giving the event
 * loop back after every folder, so /healthz answers while a large archive is walked.
 */
export async function reconcileStorage(
  db: Db,
  media: MediaEngine,
  root: string,
  copyTo?: CopyOnInsert,
): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    ok: true,
    tempRemoved: 0,
    indexed: 0,
    unreadableRemoved: 0,
    unprobed: 0,
    rowsRemoved: 0,
    movedAwayRemoved: 0,
  };
  // Only local storage is walked: rows of footage in tiers are the tiers' (docs/tiers.md).
  const rows = localRecordingCount(db);
  const claim = claimVolume(db, root, rows);
  if (!claim.ok) return { ...report, ok: false, reason: claim.reason };

  const orphans: string[] = [];
  const missing: string[] = [];
  const visited = new Set<string>();
  let matched = 0;
  const walk = async (dir: string) => {
    const files = new Set<string>();
    const subfolders: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) subfolders.push(path);
      else if (entry.isFile() && isTempName(entry.name)) {
        unlinkSync(path);
        report.tempRemoved++;
      } else if (entry.isFile() && parseStoragePath(root, path)) files.add(path);
    }
    // Rows are compared where files are: in the camera folders at the bottom of the layout.
    // The folders above hold none, and asking the path index for everything under the root
    // would read the whole archive at once.
    if (files.size || !subfolders.length) {
      visited.add(dir);
      for (const row of recordingsUnder(db, dir)) {
        if (dirname(row.path) !== dir) continue; // deeper rows belong to their own folder
        if (files.delete(row.path)) matched++;
        else missing.push(row.id);
      }
    }
    orphans.push(...files);
    for (const sub of subfolders) await walk(sub);
  };
  await walk(root);

  // Rows in folders that no longer exist at all: one bounded-memory pass over the path index.
  if (matched + missing.length < rows) {
    for (
      let after = "", page: ReturnType<typeof recordingPathsAfter>;
      (page = recordingPathsAfter(db, after, 10_000)).length;
      after = page.at(-1)!.path
    ) {
      for (const row of page)
        if (!visited.has(dirname(row.path)) && !existsSync(row.path)) missing.push(row.id);
      await Bun.sleep(0);
    }
  }

  if (rows > 0 && missing.length > rows / 2) {
    return {
      ...report,
      ok: false,
      reason: `${missing.length} of ${rows} indexed recordings have no file in ${root}: changing nothing (wrong disk mounted?)`,
    };
  }
  for (let i = 0; i < missing.length; i += DELETE_BATCH) {
    deleteRecordings(db, missing.slice(i, i + DELETE_BATCH));
    await Bun.sleep(0);
  }
  report.rowsRemoved = missing.length;

  for (const path of orphans) {
    const where = parseStoragePath(root, path)!;
    if (movedAway(db, keyOf({ tier: null, path }, root))) {
      unlinkSync(path);
      report.movedAwayRemoved++;
      continue;
    }
    const probe = await media.probeDuration(path);
    if (probe.kind === "failed") {
      // Nothing is known of its content: never delete on that. The next start tries again.
      report.unprobed++;
      log.warn(
        `could not probe ${path}, which no recording points to (${probe.reason}); leaving it for the next start`,
      );
      continue;
    }
    if (probe.kind === "invalid" || !plausibleDuration(probe.duration)) {
      unlinkSync(path);
      report.unreadableRemoved++;
      log.warn(
        `removed invalid file ${path} that no recording pointed to: ${probe.kind === "invalid" ? probe.reason : `duration ${probe.duration} s`}`,
      );
      continue;
    }
    // Its activity is lost: index it as unjudged so no retention mode expires it early.
    insertRecording(
      db,
      {
        id: newId(where.start),
        camera: where.camera,
        path,
        start_time: where.start,
        end_time: where.start + probe.duration,
        duration: probe.duration,
        motion: 0,
        objects: 0,
        segment_size: statSync(path).size,
        unjudged: true,
        // Hashed as found: it was stored before a crash kept its row from being written.
        sha256: await sha256OfFile(path),
      },
      copyTo,
    );
    report.indexed++;
  }
  if (
    report.tempRemoved ||
    report.indexed ||
    report.unreadableRemoved ||
    report.rowsRemoved ||
    report.unprobed ||
    report.movedAwayRemoved
  ) {
    log.info(
      `reconciled storage: ${report.tempRemoved} temporary files removed, ${report.indexed} files indexed, ${report.unreadableRemoved} invalid files removed, ${report.unprobed} left unprobed, ${report.rowsRemoved} rows without files removed, ${report.movedAwayRemoved} files already moved to a tier removed`,
    );
  }
  return report;
}
