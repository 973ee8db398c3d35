import { lstatSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import type { Db } from "../db/open.ts";
import type { Recording } from "../db/schema.ts";
import { noteRuleDeletions } from "../db/seals.ts";
import { logger } from "../log/log.ts";
import { fsyncDir } from "../storage/durable.ts";

// Deleting recordings: files first (their folders flushed), then rows.

const log = logger("cleanup");

export interface DeleteResult {
  rows: number;
  /** Bytes the file system really gave back (blocks of files that were there and are gone). */
  freedBytes: number;
}

/** What deleting a recording needs to know of it. */
export type StoredFile = Pick<
  Recording,
  "camera" | "path" | "tier" | "segment_size" | "duration" | "start_time"
>;

export interface DeleteOptions<T> {
  /** The rule deleting them, noted per camera (what a check of the seals says of them: docs/evidence.md). */
  rule: "expiry" | "quota" | "disk protection";
  db: Db;
  /** Deletes the rows of the files that are gone (by rowid, or by ranges of start times). */
  deleteRows: (gone: readonly T[]) => void;
  /** The folder flush (tests watch it). */
  flush?: (dir: string) => void;
}

/**
 * Deletes recordings, file first, then row (docs/retention.md): a crash in between leaves a row without
 * a file, which start-up reconcile removes, never a file nobody knows of. An unlink is durable
 * only once its folder is flushed, so the folders are flushed before the rows go: after a
 * power cut no file comes back without its row, to be indexed again as unjudged footage
 * (docs/design.md#crash-safety). A file that cannot be removed (other than already gone) keeps its row. Folders
 * left empty are noted in `touched`. A row pointing at a tier has no local file: its objects
 * in tiers are left to the tier worker by the database itself (the discards trigger).
 */
export function deleteRecordingsAndFiles<T extends StoredFile>(
  rows: readonly T[],
  touched: Set<string>,
  opts: DeleteOptions<T>,
): DeleteResult {
  const gone: T[] = [];
  const folders = new Set<string>();
  let freedBytes = 0;
  for (const r of rows) {
    if (r.tier !== null) {
      gone.push(r);
      continue;
    }
    // A file already gone is no error (no exception either: expiry meets millions of these;
    // a failed unlink costs twice a stat).
    const st = lstatSync(r.path, { throwIfNoEntry: false });
    if (st) {
      try {
        unlinkSync(r.path);
        freedBytes += st.blocks * 512;
        folders.add(dirname(r.path));
      } catch (e) {
        log.error(`cannot delete ${r.path}, keeping its row: ${(e as Error).message}`);
        continue;
      }
    }
    gone.push(r);
    touched.add(dirname(r.path));
  }
  for (const dir of folders) (opts.flush ?? fsyncDir)(dir);
  opts.deleteRows(gone);
  noteRuleDeletions(opts.db, opts.rule, gone, Date.now() / 1000);
  return { rows: gone.length, freedBytes };
}
