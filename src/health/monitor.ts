import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { type Clocks, realClocks } from "../time/clocks.ts";
import { join } from "node:path";
import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { recentBandwidth } from "../db/recordings.ts";
import { healthProbe } from "../db/schema.ts";
import type { MaintainerStats } from "../keeper/stats.ts";
import type { StorageGate } from "../storage/gate.ts";
import { minFreeBytes, volumeSpace, type StorageSpace } from "../storage/space.ts";
import { hasVolumeMarker } from "../storage/volume.ts";
import type { ClockVerdict } from "../time/clock.ts";
import { healthReasons, type HealthInputs } from "./health.ts";

/** One run of the checks: every request reads the latest, none runs them. */
export interface HealthSnapshot {
  space: StorageSpace;
  reasons: string[];
}

/** How often the checks run (reads only: free space, markers, the clock, the keeper's state). */
export const REFRESH_MS = 5_000;
/** How often the checks that write (a database row, a file in storage) run: on an SD card, writes wear. */
export const WRITE_PROBE_MS = 60_000;

/**
 * Runs the checks behind /healthz, the storage figures of /api/status, and their metrics, on a
 * timer, and keeps the answer. Requests only read it: /healthz needs no token, so anyone on
 * the LAN may ask, and no request may cost the disk a write (docs/design.md#crash-safety). The two write probes
 * (the database takes a row, storage takes a file) run at most once a minute.
 */
export class HealthMonitor {
  private last?: HealthSnapshot;
  private writes?: { at: number; database: boolean; storage: boolean };
  private timer?: Timer;

  constructor(
    private readonly deps: {
      config: Config;
      db: Db;
      stats: MaintainerStats;
      storage: StorageGate;
      clock: () => ClockVerdict;
      startedAtMs: number;
      stalledCameras: () => number;
      /** The clocks (docs/design.md#time); real unless a test simulates them. */
      clocks?: Clocks;
      /** Why storing new footage has stopped (cleanup), or null. */
      storingHalted?: () => string | null;
      /** Segments the scrub quarantined since start. */
      damagedFootage?: () => number;
      /** The storage tiers' state (none: no tiers). */
      tiers?: () => HealthInputs["tiers"];
    },
  ) {}

  start(): void {
    this.refresh();
    this.timer ??= setInterval(() => this.refresh(), REFRESH_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The latest checks' answer (run once now if they never ran). */
  snapshot(): HealthSnapshot {
    return this.last ?? this.refresh();
  }

  /** Runs the checks now; the timer does this every REFRESH_MS. */
  refresh(): HealthSnapshot {
    const space = this.storageSpace();
    this.last = { space, reasons: healthReasons(this.inputs(space)) };
    return this.last;
  }

  /** Free space and the floor under it, measured now (disk protection reads this every minute). */
  storageSpace(): StorageSpace {
    const { config, db } = this.deps;
    const bandwidth = Object.keys(config.cameras).reduce((sum, cam) => sum + recentBandwidth(db, cam), 0);
    const space = existsSync(config.recordingsDir)
      ? volumeSpace(config.recordingsDir)
      : { total: 0, free: 0 };
    return { ...space, bandwidth, minFree: minFreeBytes(config.storage.minFree, space.total, bandwidth) };
  }

  private inputs(space: StorageSpace): HealthInputs {
    const { config, stats, storage, startedAtMs } = this.deps;
    const nowMs = (this.deps.clocks ?? realClocks).now() * 1000;
    const root = config.recordingsDir;
    const storagePresent = existsSync(root);
    const writes = this.writeProbes(nowMs, storagePresent);
    return {
      nowMs,
      startedAtMs,
      scanIntervalS: config.record.scan_interval,
      lastPassEndMs: stats.lastPassEnd,
      databaseWritable: writes.database,
      storagePresent,
      storageWritable: storagePresent && writes.storage,
      storageClaimed: storagePresent && hasVolumeMarker(root),
      reconciling: storage.report === undefined,
      reconcileProblem: storage.report?.ok === false ? storage.report.reason : undefined,
      freeBytes: space.free,
      minFreeBytes: space.minFree,
      clock: this.deps.clock(),
      stalledCameras: this.deps.stalledCameras(),
      tiers: this.deps.tiers?.() ?? [],
      storingHalted: this.deps.storingHalted?.() ?? null,
      damagedFootage: this.deps.damagedFootage?.() ?? 0,
    };
  }

  /** The write probes, run again only once WRITE_PROBE_MS passed (or storage came back). */
  private writeProbes(nowMs: number, storagePresent: boolean): { database: boolean; storage: boolean } {
    const w = this.writes;
    if (w && nowMs - w.at < WRITE_PROBE_MS && (w.storage || !storagePresent)) return w;
    this.writes = {
      at: nowMs,
      database: databaseWritable(this.deps.db, nowMs),
      storage: storagePresent && writable(this.deps.config.recordingsDir),
    };
    return this.writes;
  }
}

function databaseWritable(db: Db, nowMs: number): boolean {
  try {
    db.insert(healthProbe)
      .values({ id: 1, checked_at: nowMs / 1000 })
      .onConflictDoUpdate({ target: healthProbe.id, set: { checked_at: nowMs / 1000 } })
      .run();
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
