import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { storedSums } from "../db/rollups.ts";
import { firstRecordingStart } from "../db/seals.ts";
import { type ArchiveTotals, knownCameras } from "../db/totals.ts";
import {
  type CameraForecast,
  cameraForecast,
  type ByBasis,
  planRates,
  type StorageForecast,
  storageForecast,
  type TierForecast,
  tierForecasts,
} from "../domain/forecast.ts";
import { type StorageSpace, volumeSpace } from "../storage/space.ts";

// Days left (docs/storage.md#days-left): the pure forecast (domain/forecast.ts) fed from the
// rollups, at most once a minute — status, metrics and MQTT all read the same figures.

const EVERY_S = 60;

export interface Forecast {
  storage: StorageForecast;
  cameras: Record<string, CameraForecast>;
  tiers: TierForecast[];
}

export class Forecaster {
  private last?: { at: number; value: Forecast };

  constructor(
    private readonly deps: {
      db: Db;
      config: Pick<Config, "cameras" | "defaults" | "storage">;
      totals: ArchiveTotals;
      space: () => StorageSpace;
    },
  ) {}

  /** The forecast at `now` (epoch s): computed again once a minute at most. */
  get(now = Date.now() / 1000): Forecast {
    if (this.last && now - this.last.at < EVERY_S) return this.last.value;
    const { db, config, totals } = this.deps;
    const cameras: Record<string, CameraForecast> = {};
    const keeps: (ByBasis & { keepsDays: number })[] = [];
    for (const camera of knownCameras({ config, totals })) {
      const record = config.cameras[camera]?.record ?? config.defaults;
      const f = cameraForecast({
        sums: storedSums(db, camera, now),
        firstStart: firstRecordingStart(db, camera),
        keptBytes: totals.camera(camera).bytes,
        retention: record,
        quotaBytes: record.max_size,
        now,
      });
      cameras[camera] = f;
      keeps.push({ ...planRates(f), keepsDays: Math.max(0, ...f.rules.map((r) => r.days)) });
    }
    const space = this.deps.space();
    const storage = storageForecast({
      cameras: Object.values(cameras),
      freeBytes: space.free,
      minFreeBytes: space.minFree,
      keptBytes: totals.bytes,
    });
    const tiers = tierForecasts(
      config.storage.tiers.map((t) => ({
        name: t.name,
        copy: t.copy,
        after: t.after,
        freeBytes: t.target.kind === "folder" ? folderFree(t.target.path) : null,
      })),
      keeps,
    );
    this.last = { at: now, value: { storage, cameras, tiers } };
    return this.last.value;
  }
}

/** A folder tier's free space, or null when its volume cannot be read now (unmounted). */
function folderFree(path: string): number | null {
  try {
    return volumeSpace(path).free;
  } catch {
    return null;
  }
}
