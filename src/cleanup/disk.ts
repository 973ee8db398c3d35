import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { deleteRecordingsByRowid, oldestRecordingsPage } from "../db/recordings.ts";
import { logger } from "../log/log.ts";
import { localWithCopies, repointToCopy } from "../db/tiers.ts";
import { removeEmptyFolders, removeLocalFile } from "../storage/remove.ts";
import { deleteRecordingsAndFiles } from "./delete.ts";
import { judgeHolds } from "./holds.ts";

// Disk protection: footage goes, least valuable and oldest first, while free space is under storage.min_free.

const log = logger("disk");

const PAGE = 1_000;

/**
 * Which of these rows (oldest first) to delete to free `needed` bytes: the oldest first,
 * skipping protected ones; stops as soon as their sizes cover the need. Pure.
 */
export function pickForSpace<T extends { segment_size: number }>(
  rows: readonly T[],
  needed: number,
  isProtected: (row: T) => boolean,
): T[] {
  const picked: T[] = [];
  let planned = 0;
  for (const row of rows) {
    if (planned >= needed) break;
    if (isProtected(row)) continue;
    picked.push(row);
    planned += row.segment_size;
  }
  return picked;
}

export interface DiskReport {
  freeBefore: number;
  threshold: number;
  freedBytes: number;
  deleted: number;
  /** Local files given up for their verified copy in a tier (no footage lost), before anything was deleted. */
  repointed: number;
  /** Of those deleted, how many by each rule: footage no event holds, then event footage. */
  byHold: { none: number; event: number };
  /**
   * Still under the threshold with nothing left that may go: what remains is kept forever (an
   * event retained indefinitely). Storing must stop rather than delete it (docs/retention.md).
   */
  onlyKeptForeverLeft: boolean;
  freeAfter: number;
}

export interface DiskDeps {
  config: Config;
  db: Db;
  /** Free bytes on the storage volume, measured now. */
  free: () => number;
  threshold: number;
  /**
   * Whether a local recording's copy in a tier is still complete, checked against the local
   * file just before that file goes (a copy lost or damaged since it was verified must not
   * stand in for it). Absent: nothing can be confirmed, so no local file goes for a copy.
   */
  confirmCopy?: (copy: { id: string; path: string; tier: string; key: string }) => Promise<boolean>;
}

/**
 * Disk protection (docs/retention.md): while free space is under the threshold, local files with a
 * verified copy in a tier give way to it; then the oldest footage no event holds goes; then the
 * oldest event footage; footage kept forever never. Free space is measured again after every
 * batch, so only bytes really given back count.
 */
export async function protectDisk(deps: DiskDeps): Promise<DiskReport | null> {
  const { config, db, threshold } = deps;
  const freeBefore = deps.free();
  if (freeBefore >= threshold) return null;
  log.error(
    `storage volume has ${freeBefore} bytes free, under the ${threshold} bytes it must keep: deleting the oldest recordings`,
  );
  const report: DiskReport = {
    freeBefore,
    threshold,
    freedBytes: 0,
    deleted: 0,
    repointed: 0,
    byHold: { none: 0, event: 0 },
    onlyKeptForeverLeft: false,
    freeAfter: freeBefore,
  };
  const touched = new Set<string>();

  // Footage with a verified copy elsewhere loses nothing by leaving this disk: it goes first,
  // its row pointed at the copy before its file is removed (docs/tiers.md).
  for (
    let after = { start: -Infinity, id: "" }, page: ReturnType<typeof localWithCopies>;
    report.freeAfter < threshold && (page = localWithCopies(db, after, 200)).length;
  ) {
    const last = page.at(-1)!;
    after = { start: last.start_time, id: last.id };
    for (const r of page) {
      if (!(await deps.confirmCopy?.(r)) || !repointToCopy(db, r.id, r.path, r.tier, r.key)) continue;
      report.freedBytes += removeLocalFile(r.path, config.recordingsDir);
      report.repointed++;
    }
    report.freeAfter = deps.free();
    await Bun.sleep(0);
  }
  if (report.repointed)
    log.warn(`left ${report.repointed} local recordings to their verified copies in tiers`);

  // Then the oldest footage no event holds, over every camera; only if that is not enough, the
  // oldest event footage; never footage kept forever (the order of quotas).
  for (const hold of ["none", "event"] as const) {
    for (let after = { start: -Infinity, id: "" }; report.freeAfter < threshold; ) {
      const page = oldestRecordingsPage(db, after, PAGE);
      if (!page.length) break;
      const last = page.at(-1)!;
      after = { start: last.start_time, id: last.id };
      const judged = judgeHolds(config, db, page);
      const doomed = pickForSpace(judged, threshold - report.freeAfter, (row) => row.hold !== hold);
      const result = deleteRecordingsAndFiles(doomed, touched, {
        rule: "disk protection",
        db,
        deleteRows: (gone) => deleteRecordingsByRowid(db, gone),
      });
      report.deleted += result.rows;
      report.byHold[hold] += result.rows;
      report.freedBytes += result.freedBytes;
      report.freeAfter = deps.free();
      await Bun.sleep(0);
    }
  }
  report.onlyKeptForeverLeft = report.freeAfter < threshold;
  removeEmptyFolders(config.recordingsDir, touched);
  const level = report.freeAfter >= threshold ? "warn" : "error";
  log[level](
    `deleted ${report.deleted} recordings, freeing ${report.freedBytes} bytes; ${report.freeAfter} bytes free now${report.freeAfter < threshold ? " — still under the threshold" : ""}`,
  );
  return report;
}
