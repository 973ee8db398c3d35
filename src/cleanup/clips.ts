import { lstatSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/** Temporary export clips (`clip_*` in the cache) older than this are removed. */
export const CLIP_MAX_AGE_MS = 5 * 60_000;

/** Removes stale temporary export clips from the cache folder; returns how many. */
export function removeStaleClips(cacheDir: string, nowMs: number): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith("clip_")) continue;
    const path = join(cacheDir, name);
    try {
      const st = lstatSync(path);
      if (!st.isFile() || nowMs - st.mtimeMs < CLIP_MAX_AGE_MS) continue;
      unlinkSync(path);
      removed++;
    } catch {
      /* gone meanwhile */
    }
  }
  return removed;
}
