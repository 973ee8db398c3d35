import { lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import { parseSegmentName, segmentStartMs } from "./segment-name.ts";

/** A segment file found in the cache. Times in UTC epoch seconds. */
export interface CacheFile {
  name: string;
  path: string;
  camera: string;
  start: number;
  mtimeMs: number;
  size: number;
}

export interface CacheScan {
  /** Segment files per camera, oldest first. */
  byCamera: Map<string, CacheFile[]>;
  /** Anything that is not a segment nor an export clip: never followed, moved or deleted. */
  invalid: { name: string; reason: string }[];
}

/**
 * Lists the cache. Entries are classified from lstat, so a symlink is never followed, and only
 * regular files with a segment name are returned. `zoneOf` gives each camera's cache_timezone.
 */
export function scanCache(cacheDir: string, zoneOf: (camera: string) => string): CacheScan {
  const invalid: CacheScan["invalid"] = [];
  const found = new Map<string, (CacheFile & { wallMs: number; offsetMs?: number })[]>();
  for (const name of readdirSync(cacheDir)) {
    const parsed = parseSegmentName(name);
    if (parsed.kind === "clip") continue;
    const path = join(cacheDir, name);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      continue; // removed while we looked
    }
    if (!st.isFile()) {
      invalid.push({ name, reason: st.isSymbolicLink() ? "a symbolic link" : "not a regular file" });
      continue;
    }
    if (parsed.kind === "invalid") {
      invalid.push({ name, reason: parsed.reason });
      continue;
    }
    const list = found.get(parsed.camera) ?? [];
    list.push({
      name,
      path,
      camera: parsed.camera,
      start: 0,
      mtimeMs: st.mtimeMs,
      size: st.size,
      wallMs: parsed.wallMs,
      offsetMs: parsed.offsetMs,
    });
    found.set(parsed.camera, list);
  }

  const byCamera = new Map<string, CacheFile[]>();
  for (const [camera, list] of found) {
    // Resolve starts in write order so a repeated local hour can lean on the previous segment.
    list.sort((a, b) => a.mtimeMs - b.mtimeMs || a.wallMs - b.wallMs);
    let previousStartMs: number | undefined;
    for (const f of list) {
      const startMs = segmentStartMs(
        { kind: "segment", camera, wallMs: f.wallMs, offsetMs: f.offsetMs },
        zoneOf(camera),
        { mtimeMs: f.mtimeMs, previousStartMs },
      );
      f.start = startMs / 1000;
      previousStartMs = startMs;
    }
    list.sort((a, b) => a.start - b.start);
    byCamera.set(
      camera,
      list.map(({ name, path, camera, start, mtimeMs, size }) => ({
        name,
        path,
        camera,
        start,
        mtimeMs,
        size,
      })),
    );
  }
  return { byCamera, invalid };
}

/** A non-newest segment untouched this long is closed: its recorder moved on to the next. */
export const SETTLE_MS = 2_000;
/** The newest segment is considered only after this long without a write, and then only if no process holds it open. */
export const NEWEST_IDLE_MS = 10_000;

/**
 * Which of a camera's segments (oldest first) are safe to touch. A recorder writes one file at
 * a time and opens the next only after closing the previous, so every segment but the newest
 * is closed once untouched for SETTLE_MS. The newest may still be written — by a recorder
 * camkeep did not start, too — so it is taken only when idle and held open by no process.
 * The process check runs only then, which is rarely (a recorder stopped), and never for a
 * camera whose recorder camkeep runs.
 * `stopping`: camkeep's own recorders have exited, so waiting for idleness would only leave
 * closed segments behind; any segment no process holds open is taken.
 */
export function settledSegments(
  files: readonly CacheFile[],
  nowMs: number,
  openFiles: () => ReadonlySet<string>,
  { ownRecorderRunning = false, stopping = false }: { ownRecorderRunning?: boolean; stopping?: boolean } = {},
): CacheFile[] {
  if (stopping) return files.filter((f) => !openFiles().has(f.path));
  const settled: CacheFile[] = [];
  files.forEach((f, i) => {
    const idle = nowMs - f.mtimeMs;
    const newest = i === files.length - 1;
    // While camkeep's own recorder for the camera runs, its newest segment is the one being written: no need to look in /proc.
    if (
      !newest ? idle >= SETTLE_MS : !ownRecorderRunning && idle >= NEWEST_IDLE_MS && !openFiles().has(f.path)
    )
      settled.push(f);
  });
  return settled;
}

/** Paths under `dir` that any process has open, read from /proc/<pid>/fd. */
export function filesOpenUnder(dir: string): Set<string> {
  const open = new Set<string>();
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return open;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(prefix)) open.add(target);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return open;
}
