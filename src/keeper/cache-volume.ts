import { statfsSync, unlinkSync } from "node:fs";
import type { CacheFile } from "./cache.ts";

/**
 * Segments are never dropped for being many (docs/retention.md): only a cache volume about to fill
 * forces it. Pure: which segments, oldest first, must go so that `free` reaches `reserve`.
 */
export function cacheOverflowDrops<T extends { start: number; size: number }>(
  segments: readonly T[],
  freeBytes: number,
  reserveBytes: number,
): T[] {
  if (freeBytes >= reserveBytes) return [];
  const drops: T[] = [];
  let free = freeBytes;
  for (const s of [...segments].sort((a, b) => a.start - b.start)) {
    if (free >= reserveBytes) break;
    drops.push(s);
    free += s.size;
  }
  return drops;
}

/** Room for two more segments per camera, each as large as the largest seen. */
export function cacheReserve(largestSegmentBytes: number, cameras: number): number {
  return 2 * Math.max(1, cameras) * Math.max(largestSegmentBytes, 1 << 20);
}

/**
 * Watches the cache volume: remembers the largest segment seen, and when free space falls
 * under what two more segments per camera need, deletes the oldest segments (never a
 * camera's newest, which may still be written). Returns what it deleted; the caller counts.
 */
export class CacheVolumeGuard {
  private largestSegment = 0;

  constructor(private readonly cacheDir: string) {}

  /** A segment of this size passed through (the reserve grows with the largest). */
  saw(bytes: number): void {
    this.largestSegment = Math.max(this.largestSegment, bytes);
  }

  /** Deletes what must go and removes it from `byCamera`; returns it with the free space measured before. */
  protect(byCamera: Map<string, CacheFile[]>): { dropped: CacheFile[]; freeBytes: number } {
    const all = [...byCamera.values()].flat();
    if (!all.length) return { dropped: [], freeBytes: 0 };
    for (const f of all) this.saw(f.size);
    const fs = statfsSync(this.cacheDir);
    const freeBytes = fs.bavail * fs.bsize;
    const candidates = [...byCamera.values()].flatMap((files) => files.slice(0, -1));
    const dropped = cacheOverflowDrops(
      candidates,
      freeBytes,
      cacheReserve(this.largestSegment, byCamera.size),
    );
    for (const f of dropped) {
      try {
        unlinkSync(f.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      byCamera.set(
        f.camera,
        byCamera.get(f.camera)!.filter((x) => x !== f),
      );
    }
    return { dropped, freeBytes };
  }
}
