import { mkdirSync, realpathSync, unlinkSync } from "node:fs";
import type { Config } from "../config/load.ts";
import { eventsNear } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import type { ArchiveTotals } from "../db/totals.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine } from "../media/engine.ts";
import { readyAt, type EventSpan } from "../domain/event.ts";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import { quarantineFile } from "../storage/quarantine.ts";
import { storeSegment } from "../storage/store.ts";
import type { StorageGate } from "../storage/gate.ts";
import type { ActivityStore } from "./activity.ts";
import { filesOpenUnder, scanCache, settledSegments, type CacheFile } from "./cache.ts";
import { CacheVolumeGuard } from "./cache-volume.ts";
import { activityWatermark, decideSegment, type Verdict } from "./segment-verdict.ts";
import { MaintainerStats } from "./stats.ts";

const log = logger("maintainer");

/** Stores that fail this many times in a row are moved aside instead of retried forever. */
export const MAX_STORE_ATTEMPTS = 3;

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
}

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
  private readonly durations = new Map<string, { stamp: string; duration: number | null }>();
  private readonly failures = new Map<string, number>();
  private reportedInvalid = new Set<string>();
  private readonly cacheVolume: CacheVolumeGuard;
  private stopping = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly deps: MaintainerDeps) {
    this.cfg = deps.config;
    this.now = deps.now ?? Date.now;
    mkdirSync(this.cfg.cacheDir, { recursive: true });
    // /proc reports real paths; compare like with like.
    this.cacheDir = realpathSync(this.cfg.cacheDir);
    this.cacheVolume = new CacheVolumeGuard(this.cacheDir);
  }

  /** Starts passes every scan_interval seconds, less the time the last pass took. */
  start(): void {
    this.loop ??= this.runLoop();
  }

  /** Finishes the segment in hand, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
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

  /** One maintainer pass over the whole cache. */
  async pass(): Promise<void> {
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
    for (const [camera, files] of scan.byCamera) {
      activity.prune(camera, files[0]?.start, now);
      queues.set(camera, settledSegments(files, nowMs, openFiles, this.deps.recordingNow?.(camera)));
    }
    for (const camera of activity.cameras()) if (!scan.byCamera.has(camera)) activity.prune(camera, undefined, now);

    // Round-robin over cameras, each oldest first, so one camera's backlog cannot starve the
    // others; stop after a time budget so a pass stays short and the next one picks up.
    const budgetMs = Math.max(5_000, 2 * this.cfg.record.scan_interval * 1000);
    const events = new Map<string, EventSpan[]>();
    const blocked = new Set<string>();
    for (let progressed = true; progressed && !this.stopping && performance.now() - started < budgetMs; ) {
      progressed = false;
      for (const [camera, queue] of queues) {
        if (blocked.has(camera) || !queue.length || this.stopping) continue;
        const verdict = await this.handle(queue[0]!, queue, events, now);
        if (verdict === "blocked") blocked.add(camera);
        else queue.shift();
        progressed = true;
      }
    }
    this.measureBacklog(scan.byCamera, queues, now);

    this.stats.passes++;
    this.stats.lastPassEnd = this.now();
    this.stats.lastPassMs = performance.now() - started;
    for (const listener of this.stats.passListeners) listener(this.stats.lastPassMs);
  }

  /**
   * Decides one segment and acts. "blocked": it (and every later one of its camera) stays for now.
   * `queue` is the camera's settled segments: its events are loaded once for all of them.
   */
  private async handle(file: CacheFile, queue: readonly CacheFile[], events: Map<string, EventSpan[]>, now: number): Promise<Verdict["action"] | "blocked"> {
    const cam = this.cfg.cameras[file.camera]?.record;
    const duration = cam?.enabled ? await this.probe(file) : null;
    let camEvents: EventSpan[] = [];
    if (cam?.enabled) {
      const last = queue.at(-1) ?? file;
      camEvents = events.get(file.camera) ?? eventsNear(this.deps.db, file.camera, file.start, last.start + MAX_SEGMENT_SECONDS, cam.events);
      events.set(file.camera, camEvents);
    }
    const verdict = decideSegment(
      { camera: file.camera, start: file.start, duration },
      {
        camera: cam,
        events: camEvents,
        activity: this.deps.activity.frames(file.camera),
        watermark: activityWatermark(this.deps.activity.newestFrameTime(file.camera), now, cam?.events.max_latency ?? 0),
        now,
      },
    );
    switch (verdict.action) {
      case "wait":
        return "blocked"; // later segments end later: they wait too
      case "drop":
        this.drop(file, verdict.reason);
        return "drop";
      case "store":
        if (!this.stats.storageAvailable) return "blocked";
        return (await this.store(file, duration!, verdict)) ? "store" : "blocked";
    }
  }

  private async probe(file: CacheFile): Promise<number | null> {
    const stamp = `${file.size}:${file.mtimeMs}`;
    const known = this.durations.get(file.path);
    if (known?.stamp === stamp) return known.duration;
    const duration = await this.deps.media.probeDuration(file.path);
    this.durations.set(file.path, { stamp, duration });
    return duration;
  }

  private drop(file: CacheFile, reason: Exclude<Verdict, { action: "wait" | "store" }>["reason"]): void {
    removeFile(file.path);
    this.durations.delete(file.path);
    if (reason === "unknown_camera") {
      // One counter for all of them: names in the cache are not ours to keep stats on forever.
      this.stats.unknownCameraSegments++;
      log.debug(`dropped ${file.name}: camera not configured`);
      return;
    }
    const stats = this.stats.camera(file.camera);
    if (reason === "corrupt") {
      stats.corrupt++;
      log.warn(`discarded corrupt segment ${file.name}: unreadable, or its duration is not between 0 and ${MAX_SEGMENT_SECONDS} s`);
    } else {
      this.stats.drop(file.camera, reason);
      log.debug(`dropped ${file.name}: ${reason}`);
    }
  }

  private async store(file: CacheFile, duration: number, v: Extract<Verdict, { action: "store" }>): Promise<boolean> {
    const stats = this.stats.camera(file.camera);
    try {
      const outcome = await storeSegment(this.deps.db, this.deps.media, this.cfg.recordingsDir, {
        cachePath: file.path, camera: file.camera, start: file.start, end: v.end, duration,
        motion: v.motion, objects: v.objects, unjudged: v.unjudged,
      });
      this.durations.delete(file.path);
      this.failures.delete(file.path);
      if (outcome.kind === "conflict") {
        log.error(`${file.name}: ${outcome.path} already holds a different segment; moving the cache file aside`);
        this.quarantine(file);
        return true;
      }
      if (outcome.kind === "already_stored") {
        log.info(`${file.name} was already stored as ${outcome.path}; removed the cache copy`);
        return true;
      }
      stats.stored++;
      this.deps.totals.add(file.camera, outcome.bytes, duration);
      stats.bytesStored += outcome.bytes;
      stats.secondsStored += duration;
      stats.lastStoredStart = file.start;
      if (v.failSafe) stats.unjudgedKept++;
      this.cacheVolume.saw(file.size);
      log.debug(`stored ${file.name} as ${outcome.path} (${v.keptBy.join("+")}${v.failSafe ? ", unjudged: no activity reported" : ""})`);
      return true;
    } catch (e) {
      stats.storeFailures++;
      const attempts = (this.failures.get(file.path) ?? 0) + 1;
      this.failures.set(file.path, attempts);
      log.error(`storing ${file.name} failed (attempt ${attempts} of ${MAX_STORE_ATTEMPTS}): ${(e as Error).message}`);
      if (attempts >= MAX_STORE_ATTEMPTS) this.quarantine(file);
      return false;
    }
  }

  /** Keeps a segment that cannot be stored aside, never deletes it (SPEC 3.8). */
  private quarantine(file: CacheFile): void {
    try {
      const target = quarantineFile(file.path, this.cfg.dataDir);
      this.failures.delete(file.path);
      this.durations.delete(file.path);
      this.stats.camera(file.camera).quarantined++;
      log.error(`quarantined ${file.name} as ${target}: move it back into the cache to retry`);
    } catch (e) {
      log.error(`could not quarantine ${file.name}, leaving it in the cache: ${(e as Error).message}`);
    }
  }

  /**
   * Backlog (SPEC 3.9): segments still in the cache whose end the watermark has passed, so
   * they could have been decided. A segment's end is its probed duration, or else the start
   * of the camera's next segment.
   */
  private measureBacklog(byCamera: Map<string, CacheFile[]>, queues: Map<string, CacheFile[]>, now: number): void {
    for (const [camera, queue] of queues) {
      const cam = this.cfg.cameras[camera]?.record;
      if (!cam) continue; // not configured: its segments are dropped, never a backlog
      const watermark = activityWatermark(this.deps.activity.newestFrameTime(camera), now, cam.events.max_latency);
      const waiting = new Set(queue);
      const files = byCamera.get(camera)!;
      const backlog = files.filter((f, i) => {
        if (!waiting.has(f)) return false;
        const duration = this.durations.get(f.path)?.duration;
        const end = duration ? f.start + duration : files[i + 1]?.start;
        return end !== undefined && readyAt(end, cam.events) <= watermark;
      }).length;
      const stats = this.stats.camera(camera);
      const limit = cam.max_cache_segments;
      if (backlog > limit && stats.backlog <= limit) {
        log.warn(`${camera}: ${backlog} segments waiting in the cache that could have been stored (limit ${limit}); storage may be too slow. None are dropped.`);
      }
      stats.backlog = backlog;
    }
  }

  /** Drops the oldest segments only when the cache volume is about to fill (SPEC 3.9), loudly. */
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
    for (const path of this.durations.keys()) if (!present.has(path)) this.durations.delete(path);
    for (const path of this.failures.keys()) if (!present.has(path)) this.failures.delete(path);
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
