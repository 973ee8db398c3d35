import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { storedSums } from "../db/rollups.ts";
import { firstRecordingStart } from "../db/seals.ts";
import type { ArchiveTotals } from "../db/totals.ts";
import {
  type CameraForecast,
  cameraForecast,
  type StorageForecast,
  storageForecast,
} from "../domain/forecast.ts";
import type { StorageSpace } from "../storage/space.ts";

// Days left (docs/storage.md#days-left): the pure forecast (domain/forecast.ts) fed from the
// rollups, at most once a minute — status, metrics and MQTT all read the same figures.

const EVERY_S = 60;

export interface Forecast {
  storage: StorageForecast;
  cameras: Record<string, CameraForecast>;
}

export class Forecaster {
  private last?: { at: number; value: Forecast };

  constructor(
    private readonly deps: {
      db: Db;
      config: Pick<Config, "cameras" | "defaults">;
      totals: ArchiveTotals;
      space: () => StorageSpace;
    },
  ) {}

  /** The forecast at `now` (epoch s): computed again once a minute at most. */
  get(now = Date.now() / 1000): Forecast {
    if (this.last && now - this.last.at < EVERY_S) return this.last.value;
    const { db, config, totals } = this.deps;
    const cameras: Record<string, CameraForecast> = {};
    for (const camera of [...new Set([...Object.keys(config.cameras), ...totals.cameras()])].sort()) {
      const record = config.cameras[camera]?.record ?? config.defaults;
      const longest = Math.max(0, ...record.continuous.map((r) => r.days));
      cameras[camera] = cameraForecast({
        sums: storedSums(db, camera, now),
        firstStart: firstRecordingStart(db, camera),
        keptBytes: totals.camera(camera).bytes,
        retentionDays: record.continuous.length ? longest : null,
        quotaBytes: record.max_size,
        now,
      });
    }
    const space = this.deps.space();
    const storage = storageForecast({
      cameras: Object.values(cameras),
      freeBytes: space.free,
      minFreeBytes: space.minFree,
      keptBytes: totals.bytes,
    });
    this.last = { at: now, value: { storage, cameras } };
    return this.last.value;
  }
}
