import type { Server } from "bun";
import { serveApi } from "./api/server.ts";
import { resolveToken } from "./api/token.ts";
import type { Config } from "./config/load.ts";
import { openDb, type Db } from "./db/open.ts";
import { ArchiveTotals } from "./db/totals.ts";
import { HealthMonitor } from "./health/monitor.ts";
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
  server: Server<undefined>;
  token: string;
  /** The API's base URL, e.g. http://127.0.0.1:5050 */
  url: string;
  stop(): Promise<void>;
}

export async function startApp(config: Config, media: MediaEngine = ffmpegEngine()): Promise<App> {
  setLogLevel(config.log.level);
  const startedAtMs = Date.now();
  const token = resolveToken(config);
  const db = openDb(config.database);
  const reconcile = await reconcileStorage(db, media, config.recordingsDir);
  if (!reconcile.ok) log.error(`start-up reconcile changed nothing: ${reconcile.reason}`);
  const totals = ArchiveTotals.load(db);
  const activity = new ActivityStore();
  const maintainer = new Maintainer({ config, db, media, activity, totals });
  const health = new HealthMonitor({ config, db, stats: maintainer.stats, reconcile, startedAtMs });
  const server = serveApi({ config, db, activity, stats: maintainer.stats, totals, health, token, startedAtMs });
  const url = `http://${config.api.host.includes(":") ? `[${config.api.host}]` : config.api.host}:${server.port}`;
  maintainer.start();
  const cameras = Object.keys(config.cameras);
  log.info(`camkeep ${VERSION} running (config: ${config.source}); API ${url} (token in ${config.api.token ? "the config" : config.api.tokenFile}); cache ${config.cacheDir}, storage ${config.recordingsDir}; cameras: ${cameras.length ? cameras.join(", ") : "none configured"}`);
  return {
    config, db, activity, maintainer, reconcile, server, token, url,
    async stop() {
      await server.stop(true);
      await maintainer.stop();
      db.$client.close();
      log.info("stopped");
    },
  };
}
