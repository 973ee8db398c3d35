import { lstatSync, rmdirSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fsyncDir } from "./durable.ts";

// Removing files from storage durably: what expiry, disk protection and the tier worker share.

/** Removes the folders that became empty, deepest first, up to but never including the root. */
export function removeEmptyFolders(root: string, touched: Iterable<string>): number {
  const top = resolve(root);
  const folders = new Set<string>();
  for (let dir of touched) {
    for (dir = resolve(dir); dir.startsWith(`${top}/`); dir = dirname(dir)) folders.add(dir);
  }
  let removed = 0;
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
      removed++;
    } catch {
      /* not empty, or gone: both fine */
    }
  }
  return removed;
}

/**
 * Removes a local file no row points at any more (its recording now lives in a tier), durably,
 * and its folders left empty. Returns the bytes the file system gave back.
 */
export function removeLocalFile(path: string, recordingsDir: string): number {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  unlinkSync(path);
  fsyncDir(dirname(path));
  removeEmptyFolders(recordingsDir, [dirname(path)]);
  return st.blocks * 512;
}
