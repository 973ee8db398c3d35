import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ApiServer, serveApi } from "./api/server.ts";
import page from "./ui/index.html";
import { resolveToken } from "./api/token.ts";
import { serverTls } from "./api/tls.ts";
import type { Config } from "./config/load.ts";
import { openDb, type Db } from "./db/open.ts";
import { KeeperLock } from "./storage/keeper-lock.ts";
import { ArchiveTotals } from "./db/totals.ts";
import { LoopWatch } from "./health/event-loop.ts";
import { HealthMonitor } from "./health/monitor.ts";
import { Forecaster } from "./health/forecast.ts";
import { logger, setLogLevel } from "./log/log.ts";
import { mediaEngine } from "./media/choose.ts";
import { ActivityStore } from "./keeper/activity.ts";
import { Maintainer } from "./keeper/maintainer.ts";
import { Recorders, type RecorderOptions } from "./recorder/supervisor.ts";
import { Cleanup } from "./cleanup/scheduler.ts";
import { newestRecordingStart } from "./db/recordings.ts";
import { ClockWatch } from "./time/clock.ts";
import { type Clocks, realClocks } from "./time/clocks.ts";
import { StorageGate } from "./storage/gate.ts";
import { MotionAnalyser } from "./motion/analyser.ts";
import { LoginGuard } from "./api/login-guard.ts";
import { MqttBridge } from "./mqtt/bridge.ts";
import { lastRecordingStart } from "./db/recordings.ts";
import type { StoreFaults } from "./storage/store.ts";
import { VERSION } from "./version.ts";
import { PlaybackMedia } from "./playback/media.ts";
import { Previews } from "./playback/previews.ts";
import { OnvifWatch, type WatchTimings } from "./onvif/watch.ts";
import { FootageLocator } from "./tiers/footage.ts";
import { identitySource } from "./evidence/identity.ts";
import { HashBackfill } from "./evidence/backfill.ts";
import { Sealer } from "./evidence/sealer.ts";
import { Scrub } from "./evidence/scrub.ts";
import { AuditLog } from "./evidence/audit-log.ts";
import { openTiers } from "./tiers/open.ts";
import { ArchiveWriter } from "./archive/writer.ts";
import { SiteSync } from "./archive/sites.ts";
import { SiteTier } from "./archive/site-tier.ts";
import { S3Tier } from "./tiers/s3.ts";
import { copyOnInsert } from "./tiers/target.ts";
import { TierWorker, type TransferFaults } from "./tiers/worker.ts";

// A running camkeep: every part started in order, and stopped in the reverse.

const log = logger("camkeep");

/** A running camkeep: everything `camkeep run` starts, and how to stop it. */
export interface App {
  config: Config;
  db: Db;
  activity: ActivityStore;
  maintainer: Maintainer;
  recorders: Recorders;
  storage: StorageGate;
  health: HealthMonitor;
  cleanup: Cleanup;
  mqtt?: MqttBridge;
  onvif: OnvifWatch;
  tiers: TierWorker;
  /** Keeps every bucket tier a complete archive by itself (docs/archive.md). */
  archive: ArchiveWriter;
  /** In viewer mode: the sites followed (docs/archive.md#viewer-mode). */
  sites?: SiteSync;
  /** Seals camera-hours as they can no longer change (docs/evidence.md). */
  sealer: Sealer;
  /** Hashes stored footage again on a schedule (docs/evidence.md). */
  scrub: Scrub;
  /** The audit log's writer (docs/evidence.md). */
  audit: AuditLog;
  /** Preview pictures (how many ffmpeg runs they took). */
  previews: Previews;
  eventLoop: LoopWatch;
  server: ApiServer;
  token: string;
  /** The API's base URL, e.g. http://127.0.0.1:5050 */
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  recorder?: RecorderOptions;
  /** Fault injection for the crash tests (never set by `camkeep run`). */
  faults?: StoreFaults;
  transferFaults?: TransferFaults;
  /** Shorter ONVIF waits (tests). */
  onvif?: WatchTimings;
  /** A shorter quiet minute for Home Assistant's motion entities (tests). */
  motionQuietSeconds?: number;
  /** Simulated clocks for a test about time (docs/design.md#time); real otherwise. */
  clocks?: Clocks;
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<App> {
  setLogLevel(config.log.level);
  // Before anything is touched: a second keeper on this archive stops here, having changed nothing.
  const lock = KeeperLock.acquire(config);
  // Then the watchdog: a start-up that never yields (a reconcile, a migration) is seen too.
  const eventLoop = new LoopWatch(config.health.max_stall, join(config.dataDir, "watchdog-stall.json"));
  try {
    await eventLoop.start();
    return await startLocked(config, opts, lock, eventLoop);
  } catch (e) {
    // A failed start leaves nothing behind: not the lock, not a watchdog that would end the
    // process later (a test run, or a command that goes on).
    eventLoop.stop();
    lock.release();
    throw e;
  }
}

async function startLocked(
  config: Config,
  opts: StartOptions,
  lock: KeeperLock,
  eventLoop: LoopWatch,
): Promise<App> {
  const media = mediaEngine(config);
  // One set of clocks for every part that reads the time (docs/design.md#time).
  const clocks = opts.clocks ?? realClocks;
  const startedAtMs = clocks.now() * 1000;
  const token = resolveToken(config);
  const identity = identitySource(config); // (a key file there but wrong ends the start here)
  const tls = await serverTls(config); // (so does a certificate that is not for its key)
  const db = openDb(config.database);
  const storage = new StorageGate(db, media, config.recordingsDir, undefined, copyOnInsert(config));
  const totals = new ArchiveTotals(db);
  const targets = openTiers(config.storage.tiers, db);
  // Viewer mode (docs/archive.md#viewer-mode): each site a bucket read under its own name.
  const sites = (config.viewer?.sites ?? []).map((s) => openTiers([s.tier], db).get(s.name)!);
  for (const site of sites) targets.set(site.name, new SiteTier(site.name, site));
  const siteSync = config.viewer
    ? new SiteSync({ db, sites: sites.filter((s) => s instanceof S3Tier), refreshS: config.viewer.refresh })
    : undefined;
  const tiers = new TierWorker({
    config,
    db,
    targets,
    faults: opts.transferFaults,
    storageProblem: () => storage.problem(),
    clocks,
  });
  const archive = new ArchiveWriter({ config, db, targets, identity, clocks });
  const footage = new FootageLocator(config.recordingsDir, targets);
  const hashing = new HashBackfill(db, footage, config.evidence.hashRate);
  const audit = new AuditLog(db);
  audit.record({
    actor: "camkeep",
    address: "",
    action: "configuration loaded",
    detail: configRecord(config),
  });
  const sealer = new Sealer({ db, config, identity, hashingLeft: () => hashing.left() });
  const scrub = new Scrub({ config, db, tiers: targets, storageProblem: () => storage.problem() });
  const playback = new PlaybackMedia(footage);
  const previews = new Previews(footage);
  const activity = new ActivityStore();
  const recorders = new Recorders(config, { clocks, ...opts.recorder });
  const motion = new MotionAnalyser(clocks);
  const maintainer = new Maintainer({
    config,
    db,
    media,
    activity,
    storage,
    storingHalted: () => cleanup.storingHalted,
    recordingNow: (camera) => recorders.isRunning(camera),
    faults: opts.faults,
    motion,
    clocks,
  });
  // One clock watch for health and cleanup: a step seen by either counts for both.
  const watch = new ClockWatch();
  const clock = () => watch.check(clocks.now(), clocks.monotonic(), newestRecordingStart(db));
  const health = new HealthMonitor({
    config,
    db,
    stats: maintainer.stats,
    storage,
    clock,
    startedAtMs,
    stalledCameras: () => recorders.stalledCount(),
    tiers: () => tiers.healthStates(),
    storingHalted: () => cleanup.storingHalted,
    damagedFootage: () => scrub.total.quarantined,
    clocks,
  });
  const forecast = new Forecaster({ db, config, totals, space: () => health.snapshot().space });
  const cleanup = new Cleanup({
    config,
    db,
    storageProblem: () => storage.problem(),
    clock,
    space: () => health.storageSpace(),
    confirmCopy: (c) => tiers.confirmCopy(c),
    clocks,
  });
  // Serve first: health answers "starting" while reconcile walks a large archive.
  const recording = (camera: string) =>
    recorders.isRunning(camera) || Date.now() / 1000 - (lastRecordingStart(db, camera) ?? 0) < 300;
  const mqtt = config.mqtt
    ? new MqttBridge({
        config,
        db,
        activity,
        totals,
        health,
        recording,
        footage,
        storingHalted: () => cleanup.storingHalted !== null,
        forecast,
        motionQuietSeconds: opts.motionQuietSeconds,
      })
    : undefined;
  const onvif = new OnvifWatch(Object.values(config.cameras), { db, activity }, opts.onvif);
  const server = await serveApi(
    {
      config,
      db,
      activity,
      stats: maintainer.stats,
      totals,
      health,
      cleanup,
      recorders,
      media,
      token,
      startedAtMs,
      loginGuard: new LoginGuard(),
      clocks,
      mqtt,
      onvif,
      footage,
      playback,
      previews,
      tiers,
      archive,
      forecast,
      viewer: siteSync && { sites: () => siteSync.sites() },
      eventLoop,
      identity,
      hashing,
      sealer,
      scrub,
      audit,
      https: tls && { fingerprint: tls.fingerprint, self_signed: tls.selfSigned },
    },
    page,
    tls,
  );
  const url = `${tls ? "https" : "http"}://${config.api.host.includes(":") ? `[${config.api.host}]` : config.api.host}:${server.port}`;
  recorders.start(); // segments wait in the cache meanwhile
  health.start();
  try {
    await storage.reconcile();
  } catch (e) {
    // Recorders run in their own session: stop them, or they would outlive a failed start.
    health.stop();
    await recorders.stop();
    await server.stop();
    audit.stop();
    db.$client.close(true);
    eventLoop.stop();
    throw e;
  }
  health.refresh(); // no longer "starting"
  if (siteSync) {
    // A viewer keeps nothing: it follows its sites, and the rest stays still.
    await siteSync.refresh();
    siteSync.start();
  } else {
    maintainer.start();
    mqtt?.start();
    onvif.start();
    cleanup.start();
    tiers.start();
    archive.start();
    hashing.start();
    sealer.start();
    scrub.start();
  }
  const cameras = Object.keys(config.cameras);
  log.info(
    `camkeep ${VERSION} running (config: ${config.source}); API ${url} (token in ${config.api.token ? "the config" : config.api.tokenFile}); cache ${config.cacheDir}, storage ${config.recordingsDir}; cameras: ${cameras.length ? cameras.join(", ") : "none configured"}`,
  );
  return {
    config,
    db,
    activity,
    maintainer,
    recorders,
    storage,
    health,
    cleanup,
    mqtt,
    onvif,
    tiers,
    archive,
    sites: siteSync,
    sealer,
    scrub,
    audit,
    previews,
    eventLoop,
    server,
    token,
    url,
    async stop() {
      await siteSync?.stop();
      await mqtt?.stop();
      await onvif.stop();
      health.stop();
      await server.stop();
      await recorders.stop(); // SIGINT first: their last segments close as valid files
      await cleanup.stop();
      await tiers.stop();
      await archive.stop();
      await hashing.stop();
      await sealer.stop();
      await scrub.stop();
      audit.stop();
      await maintainer.stop();
      motion.close();
      db.$client.close(true);
      eventLoop.stop();
      lock.release();
      log.info("stopped");
    },
  };
}

/** The configuration as the audit log records its loading: where from, and its SHA-256 (the file's bytes). */
function configRecord(config: Config): Record<string, unknown> {
  let sha256: string | null = null;
  try {
    sha256 = new Bun.CryptoHasher("sha256").update(readFileSync(config.source)).digest("hex");
  } catch {
    // built-in defaults (no file), or a file gone since it was read
  }
  return { source: config.source, sha256 };
}
