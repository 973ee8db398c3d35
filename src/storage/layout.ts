import { join, relative, sep } from "node:path";
import { CAMERA_NAME } from "../config/schema.ts";

/**
 * Where a stored segment lives: <root>/<YYYY-MM-DD>/<HH>/<camera>/<MM>.<SS>.mp4, every part
 * from the segment's start in UTC (docs/storage.md; the reference took MM.SS from local time).
 */
export function storagePath(root: string, camera: string, startSec: number): string {
  const d = new Date(Math.floor(startSec) * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  const day = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  return join(root, day, p(d.getUTCHours()), camera, `${p(d.getUTCMinutes())}.${p(d.getUTCSeconds())}.mp4`);
}

const LAYOUT = /^(\d{4})-(\d{2})-(\d{2})\/(\d{2})\/([^/]+)\/(\d{2})\.(\d{2})\.mp4$/;

/** The camera and UTC start of a file in storage, or undefined when it is not laid out by us. */
export function parseStoragePath(root: string, path: string): { camera: string; start: number } | undefined {
  const rel = relative(root, path).split(sep).join("/");
  const m = LAYOUT.exec(rel);
  if (!m || !CAMERA_NAME.test(m[5]!)) return undefined;
  const [y, mo, d, h, , mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6], m[7]].map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return { camera: m[5]!, start: ms / 1000 };
}

/** Files are written under a temporary name beside their final one, then renamed. */
export function tempPathFor(finalPath: string): string {
  const at = finalPath.lastIndexOf(sep);
  return `${finalPath.slice(0, at)}${sep}.${finalPath.slice(at + 1)}.tmp`;
}

export function isTempName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}

/** A stored recording's key: its path relative to local storage, or the key a tier row already holds. */
export function keyOf(row: { tier: string | null; path: string }, recordingsDir: string): string {
  return row.tier === null ? relative(recordingsDir, row.path).split(sep).join("/") : row.path;
}
