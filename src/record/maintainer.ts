import { mkdirSync, realpathSync, unlinkSync } from "node:fs";
import type { Config } from "../config/load.ts";
import { eventsNear, type HoldingEvent } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import type { ArchiveTotals } from "../db/totals.ts";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine, Probe } from "../media/engine.ts";
import { readyAt } from "../domain/event.ts";
import { widestPadding } from "../domain/retain.ts";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import { quarantineFile } from "../storage/quarantine.ts";
import type { CopyOnInsert } from "../db/tiers.ts";
import { copyOnInsert } from "../tiers/target.ts";
import { indexPlaced, placeSegment, type Placed, type StoreFaults } from "../storage/store.ts";
import type { StorageGate } from "../storage/gate.ts";
import type { ActivityStore } from "./activity.ts";
import { filesOpenUnder, scanCache, settledSegments, type CacheFile } from "./cache.ts";
import { CacheVolumeGuard } from "./cache-volume.ts";
import { activityWatermark, decideSegment, NOT_PROBED, type Verdict } from "./segment-verdict.ts";
import { MaintainerStats } from "./stats.ts";
import { SPARSE_KEYFRAMES_S, type MotionAnalyser } from "../motion/analyser.ts";

const log = logger("maintainer");

/** A segment whose probe or store fails this many times in a row is set aside instead of retried forever. */
export const MAX_ATTEMPTS = 3;

/** How long stopping may spend storing what is left in the cache; the unit's TimeoutStopSec covers it. */
export const STOP_BUDGET_MS = 20_000;

/** Rows committed in one transaction at most: more than this many placed segments are indexed at once. */
const COMMIT_BATCH = 200;

export interface MaintainerDeps {
  config: Config;
  db: Db;
  media: MediaEngine;
  activity: ActivityStore;
  totals: ArchiveTotals;
  storage: StorageGate;
  /** Whether camkeep's own recorder for a camera is running now. */
  recordingNow?: (camera: string) => boolean;
  /** Wall clock in epoch ms (tests pass their own). */
  now?: () => number;
  /** Fault injection for the crash tests: called after each step of a store. */
  faults?: StoreFaults;
  /** camkeep's own motion judgement (docs/motion.md); without it only reported activity counts. */
  motion?: MotionAnalyser;
}

type StoreVerdict = Extract<Verdict, { action: "store" }>;
/** Placed in storage during this pass, waiting for the pass's commit. */
/** `atMs`: when it was placed (the oldest one's age decides the commit). */
type Pending = { file: CacheFile; placed: Placed; verdict: StoreVerdict; atMs: number };

/**
 * The loop around decideSegment(): every scan_interval it reads the cache, probes new
 * segments once, asks the decision function what to do with each, and does it. All the I/O
 * of keeping footage lives here; none of the judgement does.
 */
export class Maintainer {
  readonly stats = new MaintainerStats();
  private readonly cfg: Config;
  private readonly now: () => number;
  private readonly cacheDir: string;
  /** Copy tiers stored segments are queued for (docs/tiers.md). */
  private readonly copyTo: CopyOnInsert;
  /** Probe answers about content (ok or invalid), by path, while the file is unchanged. */
  private readonly probes = new Map<string, { stamp: string; probe: Probe }>();
  /** Failed probes or stores in a row, by path. */
  private readonly attempts = new Map<string, number>();
  /** Segments whose motion was analysed (or could not be), by path. */
  private readonly analysed = new Set<string>();
  private reportedInvalid = new Set<string>();
  /**
   * Placed in storage, not yet indexed: they are indexed together once the oldest has waited
   * record.commit_interval (or at stop), their cache files staying until then (docs/design.md#crash-safety).
   */
  private pending: Pending[] = [];
  private readonly cacheVolume: CacheVolumeGuard;
  private stopping = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly deps: MaintainerDeps) {
    this.cfg = deps.config;
    this.copyTo = copyOnInsert(deps.config);
    this.now = deps.now ?? Date.now;
    mkdirSync(this.cfg.cacheDir, { recursive: true, mode: 0o750 });
    // /proc reports real paths; compare like with like.
    this.cacheDir = realpathSync(this.cfg.cacheDir);
    this.cacheVolume = new CacheVolumeGuard(this.cacheDir);
  }

  /** Starts passes every scan_interval seconds, less the time the last pass took. */
  start(): void {
    this.loop ??= this.runLoop();
  }

  /**
   * Finishes the pass in hand, then stores every closed segment left in the cache — unjudged
   * where its activity cannot be known yet — so that a reboot, which empties a tmpfs cache,
   * loses nothing (docs/design.md#crash-safety). Call it after the recorders have stopped.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    try {
      const left = await this.pass({ stopping: true });
      if (left) log.warn(`${left} segments left in the cache at stop (still written, unreadable for now, or storage unavailable); they are taken up at the next start`);
    } catch (e) {
      log.error(`storing the cache at stop failed: ${(e as Error).stack ?? e}`);
    }
  }

  private async runLoop(): Promise<void> {
    const interval = this.cfg.record.scan_interval * 1000;
    while (!this.stopping) {
      const started = performance.now();
      try {
        await this.pass();
      } catch (e) {
        // One bad pass must not end the keeper: log it and try again next time.
        log.error(`pass failed: ${(e as Error).stack ?? e}`);
      }
      const wait = Math.max(0, interval - (performance.now() - started));
      if (!this.stopping) await new Promise<void>((r) => { this.wake = r; setTimeout(r, wait); });
    }
  }

  /**
   * One maintainer pass over the whole cache. With `stopping`, the last one: every segment no
   * process holds open is taken, and none waits. Returns how many settled segments it left.
   */
  async pass(opts: { stopping?: boolean } = {}): Promise<number> {
    const stopping = opts.stopping ?? false;
    noteJob("keeper: a pass over the cache");
    const started = performance.now();
    const nowMs = this.now();
    const now = nowMs / 1000;
    const { activity } = this.deps;
    activity.drain();

    const scan = scanCache(this.cacheDir, (cam) => this.cfg.cameras[cam]?.record.cache_timezone ?? this.cfg.record.cache_timezone);
    this.reportInvalid(scan.invalid);
    this.forgetGone(scan.byCamera);
    this.protectCacheVolume(scan.byCamera);

    if (await this.deps.storage.retryIfMounted()) this.deps.totals.reload(this.deps.db);
    const storageProblem = this.deps.storage.problem();
    // Said when it changes, not every pass: an unmounted disk can last days.
    if (storageProblem && this.stats.storageAvailable) log.error(`${storageProblem}: keeping segments in the cache until it is back`);
    if (!storageProblem && !this.stats.storageAvailable) log.info("storage is available again: storing resumes");
    this.stats.storageAvailable = !storageProblem;

    let open: Set<string> | undefined;
    const openFiles = () => (open ??= filesOpenUnder(this.cacheDir));
    const queues = new Map<string, CacheFile[]>();
    const placed = new Set(this.pending.map((p) => p.file.path));
    for (const [camera, files] of scan.byCamera) {
      activity.prune(camera, files[0]?.start, now);
      const settled = settledSegments(files, nowMs, openFiles, { ownRecorderRunning: this.deps.recordingNow?.(camera), stopping });
      queues.set(camera, settled.filter((f) => !placed.has(f.path)));
    }
    for (const camera of activity.cameras()) if (!scan.byCamera.has(camera)) activity.prune(camera, undefined, now);

    // Round-robin over cameras, each oldest first, so one camera's backlog cannot starve the
    // others; stop after a time budget so a pass stays short and the next one picks up.
    const budgetMs = stopping ? STOP_BUDGET_MS : Math.max(5_000, 2 * this.cfg.record.scan_interval * 1000);
    const events = new Map<string, HoldingEvent[]>();
    const blocked = new Set<string>();
    const pending = this.pending;
    const running = () => stopping || !this.stopping;
    for (let progressed = true; progressed && running() && performance.now() - started < budgetMs; ) {
      progressed = false;
      for (const [camera, queue] of queues) {
        if (blocked.has(camera) || !queue.length || !running()) continue;
        const verdict = await this.handle(queue[0]!, queue, events, { now, stopping }, pending);
        if (verdict === "blocked") blocked.add(camera);
        else queue.shift();
        progressed = true;
        if (pending.length >= COMMIT_BATCH) this.commit();
      }
    }
    const oldest = pending[0];
    if (oldest && (stopping || nowMs - oldest.atMs >= this.cfg.record.commit_interval * 1000)) this.commit();
    this.measureBacklog(scan.byCamera, queues, now);

    this.stats.passes++;
    this.stats.lastPassEnd = this.now();
    this.stats.lastPassMs = performance.now() - started;
    for (const listener of this.stats.passListeners) listener(this.stats.lastPassMs);
    return [...queues.values()].reduce((n, q) => n + q.length, 0);
  }

  /**
   * Decides one segment and acts. "blocked": it (and every later one of its camera) stays for now.
   * `queue` is the camera's settled segments: its events are loaded once for all of them.
   * A segment to store is placed in storage and added to `pending`, indexed at the next commit.
   */
  private async handle(
    file: CacheFile, queue: readonly CacheFile[], events: Map<string, HoldingEvent[]>, at: { now: number; stopping: boolean }, pending: Pending[],
  ): Promise<Verdict["action"] | "blocked"> {
    const cam = this.cfg.cameras[file.camera]?.record;
    const probe = cam?.enabled ? await this.probe(file) : NOT_PROBED;
    if (probe.kind === "ok") await this.analyseMotion(file, probe.duration, at.now);
    let camEvents: HoldingEvent[] = [];
    if (cam?.enabled) {
      const last = queue.at(-1) ?? file;
      camEvents = events.get(file.camera) ?? eventsNear(this.deps.db, file.camera, file.start, last.start + MAX_SEGMENT_SECONDS, widestPadding(cam.events));
      events.set(file.camera, camEvents);
    }
    const verdict = decideSegment(
      { camera: file.camera, start: file.start, probe },
      {
        camera: cam,
        events: camEvents,
        activity: this.deps.activity.frames(file.camera),
        watermark: activityWatermark(this.deps.activity.newestFrameTime(file.camera), at.now, cam?.max_latency ?? 0),
        now: at.now,
        stopping: at.stopping,
      },
    );
    switch (verdict.action) {
      case "wait":
        return "blocked"; // later segments end later: they wait too
      case "retry":
        this.failed(file, `probing failed: ${verdict.reason}`, (s) => s.probeFailures++);
        return "retry"; // a failed probe says nothing of the segments after it
      case "drop":
        this.drop(file, verdict.reason, probe);
        return "drop";
      case "store": {
        if (!this.stats.storageAvailable) return "blocked";
        const placed = await this.place(file, verdict);
        if (placed) pending.push({ file, placed, verdict, atMs: at.now * 1000 });
        return placed === undefined ? "blocked" : "store";
      }
    }
  }

  /** Probes once per file content; a failed probe is not remembered, so it is tried again. */
  private async probe(file: CacheFile): Promise<Probe> {
    const stamp = `${file.size}:${file.mtimeMs}`;
    const known = this.probes.get(file.path);
    if (known?.stamp === stamp) return known.probe;
    const probe = await this.deps.media.probeDuration(file.path);
    if (probe.kind !== "failed") this.probes.set(file.path, { stamp, probe });
    return probe;
  }

  /**
   * Judges a segment's motion from its footage, once, before it is decided (docs/motion.md): its
   * analysed pictures join the camera's activity. One that cannot be analysed is counted and
   * left to the rules without it (the fail-safe keeps it when no other activity came).
   */
  private async analyseMotion(file: CacheFile, duration: number, now: number): Promise<void> {
    const settings = this.cfg.cameras[file.camera]?.motion;
    if (!this.deps.motion || !settings?.enabled || this.analysed.has(file.path)) return;
    this.analysed.add(file.path);
    const result = await this.deps.motion.analyse(file.camera, file.path, file.start, settings);
    const stats = this.stats.camera(file.camera);
    if (!result.ok) {
      stats.motionFailures++;
      log.warn(`${file.name}: motion not analysed (${result.reason}); judged without it`);
      return;
    }
    this.deps.activity.addAnalysed(file.camera, result.frames);
    stats.motionFrames += result.frames.length;
    stats.motionLagS = Math.max(0, now - (file.start + duration));
    if (result.sparse && !stats.motionSparse) log.warn(`${file.camera}: key frames more than ${SPARSE_KEYFRAMES_S} s apart; motion shorter than that can be missed (set the camera's I-frame interval to 1–2 s)`);
    stats.motionSparse = result.sparse;
  }

  private drop(file: CacheFile, reason: Extract<Verdict, { action: "drop" }>["reason"], probe: Probe): void {
    removeFile(file.path);
    this.forget(file);
    if (reason === "unknown_camera") {
      // One counter for all of them: names in the cache are not ours to keep stats on forever.
      this.stats.unknownCameraSegments++;
      log.debug(`dropped ${file.name}: camera not configured`);
      return;
    }
    const stats = this.stats.camera(file.camera);
    if (reason === "corrupt") {
      stats.corrupt++;
      const why = probe.kind === "invalid" ? probe.reason : probe.kind === "ok" ? `its duration ${probe.duration} s is not between 0 and ${MAX_SEGMENT_SECONDS} s` : probe.reason;
      log.warn(`discarded corrupt segment ${file.name}: ${why}`);
    } else {
      this.stats.drop(file.camera, reason);
      log.debug(`dropped ${file.name}: ${reason}`);
    }
  }

  /**
   * Places a kept segment's copy in storage (steps 1–2 of a store). Returns what was placed,
   * null when nothing is left to index (already stored, or set aside), undefined on failure.
   */
  private async place(file: CacheFile, v: StoreVerdict): Promise<Placed | null | undefined> {
    try {
      const outcome = await placeSegment(this.deps.db, this.deps.media, this.cfg.recordingsDir, {
        cachePath: file.path, camera: file.camera, start: file.start, end: v.end, duration: v.duration,
        motion: v.motion, objects: v.objects, unjudged: v.unjudged,
      }, this.deps.faults);
      if (outcome.kind === "placed") return outcome.placed;
      this.forget(file);
      if (outcome.kind === "conflict") {
        log.error(`${file.name}: ${outcome.path} already holds a different segment; moving the cache file aside`);
        this.quarantine(file);
      } else {
        log.info(`${file.name} was already stored as ${outcome.path}; removed the cache copy`);
      }
      return null;
    } catch (e) {
      this.failed(file, `storing failed: ${(e as Error).message}`, (s) => s.storeFailures++);
      return undefined;
    }
  }

  /** Indexes what was placed, in one transaction (steps 3–4 of a store), and counts it. */
  private commit(): void {
    const pending = this.pending.splice(0);
    if (!pending.length) return;
    try {
      indexPlaced(this.deps.db, pending.map((p) => p.placed), this.deps.faults, this.copyTo);
    } catch (e) {
      // The copies stay in storage and the cache files in the cache: a later pass places them
      // again over the same names and indexes them then.
      log.error(`indexing ${pending.length} stored segments failed; retrying next pass: ${(e as Error).message}`);
      for (const { file } of pending) this.stats.camera(file.camera).storeFailures++;
      return;
    }
    for (const { file, placed, verdict } of pending) {
      const stats = this.stats.camera(file.camera);
      const duration = placed.req.duration;
      this.forget(file);
      stats.stored++;
      this.deps.totals.add(file.camera, placed.bytes, duration);
      stats.bytesStored += placed.bytes;
      stats.secondsStored += duration;
      stats.lastStoredStart = file.start;
      if (verdict.failSafe) stats.unjudgedKept++;
      if (verdict.keptBy.includes("shutdown")) stats.storedAtStop++;
      this.cacheVolume.saw(file.size);
      log.debug(`stored ${file.name} as ${placed.path} (${verdict.keptBy.join("+")}${verdict.failSafe ? ", unjudged" : ""})`);
    }
  }

  /** One more failed attempt at a segment; at MAX_ATTEMPTS it is set aside, never deleted. */
  private failed(file: CacheFile, what: string, count: (s: ReturnType<MaintainerStats["camera"]>) => void): void {
    count(this.stats.camera(file.camera));
    const n = (this.attempts.get(file.path) ?? 0) + 1;
    this.attempts.set(file.path, n);
    log.error(`${file.name}: ${what} (attempt ${n} of ${MAX_ATTEMPTS})`);
    if (n >= MAX_ATTEMPTS) this.quarantine(file);
  }

  /** Keeps a segment that cannot be stored aside, never deletes it (docs/retention.md). */
  private quarantine(file: CacheFile): void {
    try {
      const target = quarantineFile(file.path, this.cfg.dataDir);
      this.forget(file);
      this.stats.camera(file.camera).quarantined++;
      log.error(`quarantined ${file.name} as ${target}: move it back into the cache to retry`);
    } catch (e) {
      log.error(`could not quarantine ${file.name}, leaving it in the cache: ${(e as Error).message}`);
    }
  }

  private forget(file: CacheFile): void {
    this.probes.delete(file.path);
    this.attempts.delete(file.path);
    this.analysed.delete(file.path);
  }

  /**
   * Backlog (docs/retention.md): segments still in the cache whose end the watermark has passed, so
   * they could have been decided. A segment's end is its probed duration, or else the start
   * of the camera's next segment.
   */
  private measureBacklog(byCamera: Map<string, CacheFile[]>, queues: Map<string, CacheFile[]>, now: number): void {
    for (const [camera, queue] of queues) {
      const cam = this.cfg.cameras[camera]?.record;
      if (!cam) continue; // not configured: its segments are dropped, never a backlog
      const watermark = activityWatermark(this.deps.activity.newestFrameTime(camera), now, cam.max_latency);
      const waiting = new Set(queue);
      const files = byCamera.get(camera)!;
      const backlog = files.filter((f, i) => {
        if (!waiting.has(f)) return false;
        const probe = this.probes.get(f.path)?.probe;
        const end = probe?.kind === "ok" ? f.start + probe.duration : files[i + 1]?.start;
        return end !== undefined && readyAt(end, widestPadding(cam.events)) <= watermark;
      }).length;
      const stats = this.stats.camera(camera);
      const limit = cam.max_cache_segments;
      if (backlog > limit && stats.backlog <= limit) {
        log.warn(`${camera}: ${backlog} segments waiting in the cache that could have been stored (limit ${limit}); storage may be too slow. None are dropped.`);
      }
      stats.backlog = backlog;
    }
  }

  /** Drops the oldest segments only when the cache volume is about to fill (docs/retention.md), loudly. */
  private protectCacheVolume(byCamera: Map<string, CacheFile[]>): void {
    const { dropped, freeBytes } = this.cacheVolume.protect(byCamera);
    for (const f of dropped) {
      log.error(`cache volume nearly full (${freeBytes} bytes free): dropped oldest segment ${f.name}`);
      if (this.cfg.cameras[f.camera]) this.stats.drop(f.camera, "cache_full");
      else this.stats.unknownCameraSegments++;
    }
  }

  private reportInvalid(invalid: { name: string; reason: string }[]): void {
    const seen = new Set<string>();
    for (const { name, reason } of invalid) {
      seen.add(name);
      if (this.reportedInvalid.has(name)) continue;
      this.stats.invalidCacheFiles++;
      log.warn(`ignoring ${name} in the cache: ${reason}`);
    }
    this.reportedInvalid = seen; // bounded by what is in the cache now
  }

  private forgetGone(byCamera: Map<string, CacheFile[]>): void {
    const present = new Set<string>();
    for (const files of byCamera.values()) for (const f of files) present.add(f.path);
    for (const path of this.probes.keys()) if (!present.has(path)) this.probes.delete(path);
    for (const path of this.attempts.keys()) if (!present.has(path)) this.attempts.delete(path);
    for (const path of this.analysed) if (!present.has(path)) this.analysed.delete(path);
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
