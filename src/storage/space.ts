import { statfsSync } from "node:fs";
import type { MinFree } from "../config/size.ts";

/** The floor under `min_free: auto`: never aim for less than this much free space. */
export const AUTO_MIN_FREE_FLOOR = 2 ** 30;

export interface VolumeSpace {
  total: number;
  free: number; // available to an unprivileged writer
}

/** The storage volume's space, the floor camkeep keeps free, and the cameras' bandwidth. */
export interface StorageSpace {
  total: number;
  free: number;
  minFree: number;
  bandwidth: number; // bytes per second, all cameras
}

export function volumeSpace(path: string): VolumeSpace {
  const s = statfsSync(path);
  return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
}

/**
 * How many bytes the storage volume must keep free (docs/retention.md). `auto` is one hour of the
 * cameras' measured bandwidth (bytes per second, summed over cameras), never below the floor.
 */
export function minFreeBytes(minFree: MinFree, volumeTotal: number, bandwidth: number): number {
  switch (minFree.kind) {
    case "auto":
      return Math.max(AUTO_MIN_FREE_FLOOR, Math.ceil(bandwidth * 3600));
    case "bytes":
      return minFree.bytes;
    case "percent":
      return Math.ceil((volumeTotal * minFree.percent) / 100);
  }
}
