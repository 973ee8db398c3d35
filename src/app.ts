import type { Config } from "./config/load.ts";
import { openDb, type Db } from "./db/open.ts";
import { logger, setLogLevel } from "./log/log.ts";
import type { MediaEngine } from "./media/engine.ts";
import { ffmpegEngine } from "./media/ffmpeg.ts";
import { ActivityStore } from "./record/activity.ts";
import { Maintainer } from "./record/maintainer.ts";
import { reconcileStorage, type ReconcileReport } from "./storage/reconcile.ts";
import { VERSION } from "./version.ts";

const log = logger("camkeep");

/** A running camkeep: everything `camkeep run` starts, and how to stop it. */
export interface App {
  config: Config;
  db: Db;
  activity: ActivityStore;
  maintainer: Maintainer;
  reconcile: ReconcileReport;
  stop(): Promise<void>;
}

export async function startApp(config: Config, media: MediaEngine = ffmpegEngine()): Promise<App> {
  setLogLevel(config.log.level);
  const db = openDb(config.database);
  const reconcile = await reconcileStorage(db, media, config.recordingsDir);
  if (!reconcile.ok) log.error(`start-up reconcile changed nothing: ${reconcile.reason}`);
  const activity = new ActivityStore();
  const maintainer = new Maintainer({ config, db, media, activity });
  maintainer.start();
  const cameras = Object.keys(config.cameras);
  log.info(`camkeep ${VERSION} running (config: ${config.source}); cache ${config.cacheDir}, storage ${config.recordingsDir}, database ${config.database}; cameras: ${cameras.length ? cameras.join(", ") : "none configured"}`);
  return {
    config, db, activity, maintainer, reconcile,
    async stop() {
      await maintainer.stop();
      db.$client.close();
      log.info("stopped");
    },
  };
}
