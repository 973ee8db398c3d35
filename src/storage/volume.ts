import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getMeta, setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import { fsyncDir, fsyncPath, mkdirDurable } from "./durable.ts";

/**
 * A marker file camkeep writes into the storage folder when it first uses it. An unmounted
 * USB disk or NAS share leaves an empty mount point behind: without the marker, camkeep
 * writes nothing there and changes nothing in the index (docs/design.md#crash-safety). The marker also carries
 * the storage's id, which the database keeps too: a disk of another camkeep mounted in its
 * place is recognised by its id, not only by most rows missing (docs/design.md#crash-safety).
 */
export const VOLUME_MARKER = ".camkeep-volume";
const STORAGE_ID = "storage_id";

export function hasVolumeMarker(root: string): boolean {
  return existsSync(join(root, VOLUME_MARKER));
}

/** The id in a marker, or undefined for a marker written before ids (a date only). */
export function markerId(root: string): string | undefined {
  return /^id: (\S+)$/m.exec(readFileSync(join(root, VOLUME_MARKER), "utf8"))?.[1];
}

function writeMarker(root: string, id: string, note = ""): void {
  const path = join(root, VOLUME_MARKER);
  writeFileSync(path, `camkeep storage volume\nid: ${id}\nclaimed: ${new Date().toISOString()}${note}\n`);
  fsyncPath(path);
  fsyncDir(root);
}

/** The storage id this database is bound to, once a reconcile claimed its storage. */
export function boundStorageId(db: Db): string | undefined {
  return getMeta(db, STORAGE_ID);
}

export type Claim = { ok: true } | { ok: false; reason: string };

/**
 * Claims the storage folder for this database when that is safe, binding the two by an id:
 * - no marker: claimed only while the index holds no recordings (a first start); with
 *   recordings indexed, the storage looks unmounted and nothing is touched;
 * - a marker whose id differs from the database's: another camkeep's storage — refused;
 * - a marker without an id (an older camkeep), or a database without one (an upgrade, or a
 *   database made anew beside existing footage): the one that has an id gives it to the other.
 * `idKey` names the meta entry holding the id: storage's own, or a folder tier's.
 */
export function claimVolume(db: Db, root: string, indexedRecordings: number, idKey = STORAGE_ID): Claim {
  const dbId = getMeta(db, idKey);
  if (!hasVolumeMarker(root)) {
    if (indexedRecordings > 0)
      return {
        ok: false,
        reason: `storage ${root} lacks ${VOLUME_MARKER} while ${indexedRecordings} recordings are indexed: is the disk mounted?`,
      };
    mkdirDurable(root);
    const id = dbId ?? crypto.randomUUID();
    writeMarker(root, id, readdirSync(root).length ? " (folder was not empty)" : "");
    if (!dbId) setMeta(db, idKey, id);
    return { ok: true };
  }
  const volumeId = markerId(root);
  if (volumeId && dbId && volumeId !== dbId) {
    return {
      ok: false,
      reason: `storage ${root} belongs to another camkeep database (its id is ${volumeId}; this database's storage is ${dbId}): changing nothing — mount the right disk, or point database: at the database that belongs to it`,
    };
  }
  if (!dbId) setMeta(db, idKey, volumeId ?? crypto.randomUUID());
  if (!volumeId) writeMarker(root, getMeta(db, idKey)!, " (upgraded from a marker without an id)");
  return { ok: true };
}
