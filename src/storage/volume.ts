import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fsyncDir, mkdirDurable } from "./durable.ts";

/**
 * A marker file camkeep writes into the storage folder when it first uses it. An unmounted
 * USB disk or NAS share leaves an empty mount point behind: without the marker, camkeep
 * writes nothing there and changes nothing in the index (SPEC 8).
 */
export const VOLUME_MARKER = ".camkeep-volume";

export function hasVolumeMarker(root: string): boolean {
  return existsSync(join(root, VOLUME_MARKER));
}

/**
 * Claims the storage folder when that is safe: it already carries the marker, or the index
 * holds no recordings yet (a first start). Returns false when recordings are indexed but the
 * marker is missing: the storage looks unmounted.
 */
export function claimVolume(root: string, indexedRecordings: number): boolean {
  if (hasVolumeMarker(root)) return true;
  if (indexedRecordings > 0) return false;
  mkdirDurable(root);
  const empty = readdirSync(root).length === 0;
  writeFileSync(join(root, VOLUME_MARKER), `camkeep storage volume, claimed ${new Date().toISOString()}${empty ? "" : " (folder was not empty)"}\n`);
  fsyncDir(root);
  return true;
}
