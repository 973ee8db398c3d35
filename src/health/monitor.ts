import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { recentBandwidth } from "../db/recordings.ts";
import { healthProbe } from "../db/schema.ts";
import type { MaintainerStats } from "../record/stats.ts";
import type { StorageGate } from "../storage/gate.ts";
import { minFreeBytes, volumeSpace } from "../storage/space.ts";
import { hasVolumeMarker } from "../storage/volume.ts";
import type { ClockVerdict } from "./clock.ts";
import { healthReasons, type HealthInputs } from "./health.ts";

export interface StorageSpace {
  total: number;
  free: number;
  minFree: number;
  bandwidth: number; // bytes per second, all cameras
}

/** One run of the checks: a request takes one and reads all it needs from it. */
export interface HealthSnapshot {
  space: StorageSpace;
  reasons: string[];
}

/** Runs the checks behind /healthz, the storage figures of /api/status, and their metrics. */
export class HealthMonitor {
  constructor(
    private readonly deps: {
      config: Config; db: Db; stats: MaintainerStats; storage: StorageGate; clock: () => ClockVerdict; startedAtMs: number;
      stalledCameras: () => number; now?: () => number;
    },
  ) {}

  storageSpace(): StorageSpace {
    const { config, db } = this.deps;
    const bandwidth = Object.keys(config.cameras).reduce((sum, cam) => sum + recentBandwidth(db, cam), 0);
    const space = existsSync(config.recordingsDir) ? volumeSpace(config.recordingsDir) : { total: 0, free: 0 };
    return { ...space, bandwidth, minFree: minFreeBytes(config.storage.minFree, space.total, bandwidth) };
  }

  snapshot(): HealthSnapshot {
    const space = this.storageSpace();
    return { space, reasons: healthReasons(this.inputs(space)) };
  }

  private inputs(space: StorageSpace): HealthInputs {
    const { config, db, stats, storage, startedAtMs } = this.deps;
    const nowMs = (this.deps.now ?? Date.now)();
    const root = config.recordingsDir;
    const storagePresent = existsSync(root);
    return {
      nowMs,
      startedAtMs,
      scanIntervalS: config.record.scan_interval,
      lastPassEndMs: stats.lastPassEnd,
      databaseWritable: databaseWritable(db, nowMs),
      storagePresent,
      storageWritable: storagePresent && writable(root),
      storageClaimed: storagePresent && hasVolumeMarker(root),
      reconciling: storage.report === undefined,
      reconcileProblem: storage.report?.ok === false ? storage.report.reason : undefined,
      freeBytes: space.free,
      minFreeBytes: space.minFree,
      clock: this.deps.clock(),
      stalledCameras: this.deps.stalledCameras(),
    };
  }

}

function databaseWritable(db: Db, nowMs: number): boolean {
  try {
    db.insert(healthProbe).values({ id: 1, checked_at: nowMs / 1000 })
      .onConflictDoUpdate({ target: healthProbe.id, set: { checked_at: nowMs / 1000 } }).run();
    return true;
  } catch {
    return false;
  }
}

/** A real write (file permissions say nothing to root, nor of a volume remounted read-only). */
function writable(dir: string): boolean {
  try {
    const probe = join(dir, ".camkeep-write-probe");
    writeFileSync(probe, "");
    unlinkSync(probe);
    return true;
  } catch {
    return false;
  }
}
