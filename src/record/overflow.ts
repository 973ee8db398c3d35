/**
 * Segments are never dropped for being many (SPEC 3.9): only a cache volume about to fill
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
