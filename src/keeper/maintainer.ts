import { mkdirSync, realpathSync } from "node:fs";
import { type Clocks, realClocks } from "../time/clocks.ts";
import type { Config } from "../config/load.ts";
import { eventsNear, type HoldingEvent } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine } from "../media/engine.ts";
import { readyAt } from "../domain/event.ts";
import { widestPadding } from "../domain/retain.ts";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import { copyOnInsert } from "../tiers/target.ts";
import type { StoreFaults } from "../storage/store.ts";
import type { StorageGate } from "../storage/gate.ts";
import type { ActivityStore } from "./activity.ts";
import { filesOpenUnder, scanCache, settledSegments, type CacheFile } from "./cache.ts";
import { CacheVolumeGuard } from "./cache-volume.ts";
import { activityWatermark, decideSegment, NOT_PROBED, type Verdict } from "./segment-verdict.ts";
import { SegmentHandler } from "./segment-handler.ts";
import { SegmentMemo } from "./segment-memo.ts";
import { MaintainerStats } from "./stats.ts";
import { StoreBatch } from "./store-batch.ts";
import { sleep } from "../time/sleep.ts";
import { SegmentJoins } from "./segment-join.ts";
import type { MotionAnalyser } from "../motion/analyser.ts";

// The keeper's loop and its pass over the cache: every segment decided, in order.

const log = logger("maintainer");

/** How long stopping may spend storing what is left in the cache; the unit's TimeoutStopSec covers it. */
export const STOP_BUDGET_MS = 20_000;

export interface MaintainerDeps {
  config: Config;
  db: Db;
  media: MediaEngine;
  activity: ActivityStore;
  storage: StorageGate;
  /** Why storing must wait though storage is there (cleanup: only footage kept forever is left), or null. */
  storingHalted?: () => string | null;
  /** Whether camkeep's own recorder for a camera is running now. */
  recordingNow?: (camera: string) => boolean;
  /** Wall clock in epoch ms (tests pass their own). */
  /** The clocks (docs/design.md#time); real unless a test simulates them. */
  clocks?: Clocks;
  /** Fault injection for the crash tests: called after each step of a store. */
  faults?: StoreFaults;
  /** camkeep's own motion judgement (docs/motion.md); without it only reported activity counts. */
  motion?: MotionAnalyser;
}

/**
 * The loop around decideSegment(): every scan_interval it reads the cache, probes new
 * segments once, asks the decision function what to do with each, and does it. All the I/O
 * of keeping footage lives here; none of the judgement does.
 */
export class Maintainer {
  readonly stats = new MaintainerStats();
  private readonly cfg: Config;
  private readonly nowMs: () => number;
  private readonly cacheDir: string;
  private readonly memo = new SegmentMemo();
  private readonly joins: SegmentJoins;
  private reportedInvalid = new Set<string>();
  /** Placed in storage, not yet indexed (store-batch.ts). */
  private readonly batch: StoreBatch;
  private readonly handler: SegmentHandler;
  private readonly cacheVolume: CacheVolumeGuard;
  /** Aborted by stop(): the wait between passes ends at once, and no loop starts after it. */
  private readonly life = new AbortController();
  private loop?: Promise<void>;

  constructor(private readonly deps: MaintainerDeps) {
    this.cfg = deps.config;
    this.joins = new SegmentJoins(deps.db);
    this.batch = new StoreBatch({
      db: deps.db,
      copyTo: copyOnInsert(deps.config),
      faults: deps.faults,
      indexed: (p) => this.handler.counted(p),
      failed: (p) => this.stats.camera(p.file.camera).storeFailures++,
    });
    const clocks = deps.clocks ?? realClocks;
    this.nowMs = () => clocks.now() * 1000;
    mkdirSync(this.cfg.cacheDir, { recursive: true, mode: 0o750 });
    // /proc reports real paths; compare like with like.
    this.cacheDir = realpathSync(this.cfg.cacheDir);
    this.cacheVolume = new CacheVolumeGuard(this.cacheDir);
    this.handler = new SegmentHandler({
      ...deps,
      stats: this.stats,
      memo: this.memo,
      cacheVolume: this.cacheVolume,
    });
  }

  /** Starts passes every scan_interval seconds, less the time the last pass took. */
  start(): void {
    if (this.stopping) return;
    this.loop ??= this.runLoop();
  }

  /**
   * Finishes the pass in hand, then stores every closed segment left in the cache — unjudged
   * where its activity cannot be known yet — so that a reboot, which empties a tmpfs cache,
   * loses nothing (docs/design.md#crash-safety). Call it after the recorders have stopped.
   */
  async stop(): Promise<void> {
    this.life.abort();
    await this.loop;
    try {
      const left = await this.pass({ stopping: true });
      if (left)
        log.warn(
          `${left} segments left in the cache at stop (still written, unreadable for now, or storage unavailable); they are taken up at the next start`,
        );
    } catch (e) {
      log.error(`storing the cache at stop failed: ${(e as Error).stack ?? e}`);
    }
  }

  private get stopping(): boolean {
    return this.life.signal.aborted;
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
      await sleep(wait, this.life.signal);
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
    const nowMs = this.nowMs();
    const now = nowMs / 1000;
    const { activity } = this.deps;
    activity.drain();

    const scan = scanCache(
      this.cacheDir,
      (cam) => this.cfg.cameras[cam]?.record.cache_timezone ?? this.cfg.record.cache_timezone,
    );
    this.reportInvalid(scan.invalid);
    this.forgetGone(scan.byCamera);
    this.protectCacheVolume(scan.byCamera);

    await this.deps.storage.retryIfMounted();
    const storageProblem = this.deps.storage.problem() ?? this.deps.storingHalted?.() ?? undefined;
    // Said when it changes, not every pass: an unmounted disk can last days.
    if (storageProblem && this.stats.storageAvailable)
      log.error(`${storageProblem}: keeping segments in the cache until it is back`);
    if (!storageProblem && !this.stats.storageAvailable)
      log.info("storage is available again: storing resumes");
    this.stats.storageAvailable = !storageProblem;

    let open: Set<string> | undefined;
    const openFiles = () => (open ??= filesOpenUnder(this.cacheDir));
    const queues = new Map<string, CacheFile[]>();
    const placed = this.batch.paths();
    for (const [camera, files] of scan.byCamera) {
      activity.prune(camera, files[0]?.start, now);
      const settled = settledSegments(files, nowMs, openFiles, {
        ownRecorderRunning: this.deps.recordingNow?.(camera),
        stopping,
      });
      queues.set(
        camera,
        settled.filter((f) => !placed.has(f.path)),
      );
    }
    for (const camera of activity.cameras())
      if (!scan.byCamera.has(camera)) activity.prune(camera, undefined, now);

    // Round-robin over cameras, each oldest first, so one camera's backlog cannot starve the
    // others; stop after a time budget so a pass stays short and the next one picks up.
    const budgetMs = stopping ? STOP_BUDGET_MS : Math.max(5_000, 2 * this.cfg.record.scan_interval * 1000);
    const events = new Map<string, HoldingEvent[]>();
    const blocked = new Set<string>();
    const running = () => stopping || !this.stopping;
    for (let progressed = true; progressed && running() && performance.now() - started < budgetMs; ) {
      progressed = false;
      for (const [camera, queue] of queues) {
        if (blocked.has(camera) || !queue.length || !running()) continue;
        const verdict = await this.handle(queue[0]!, queue, events, { now, stopping });
        if (verdict === "blocked") blocked.add(camera);
        else queue.shift();
        progressed = true;
        if (this.batch.full) this.batch.commit();
      }
    }
    if (this.batch.due(nowMs, this.cfg.record.commit_interval, stopping)) this.batch.commit();
    this.measureBacklog(scan.byCamera, queues, now);

    this.stats.passes++;
    this.stats.lastPassEnd = this.nowMs();
    this.stats.lastPassMs = performance.now() - started;
    for (const listener of this.stats.passListeners) listener(this.stats.lastPassMs);
    return [...queues.values()].reduce((n, q) => n + q.length, 0);
  }

  /**
   * Decides one segment and acts. "blocked": it (and every later one of its camera) stays for now.
   * `queue` is the camera's settled segments: its events are loaded once for all of them.
   * A segment to store is placed in storage and added to the batch, indexed at its next commit.
   */
  private async handle(
    named: CacheFile,
    queue: readonly CacheFile[],
    events: Map<string, HoldingEvent[]>,
    at: { now: number; stopping: boolean },
  ): Promise<Verdict["action"] | "blocked"> {
    const cam = this.cfg.cameras[named.camera]?.record;
    const probe = cam?.enabled ? await this.memo.probe(named, this.deps.media) : NOT_PROBED;
    // Its true start, from the media of the segment before it (segment-join.ts), once probed.
    const file =
      probe.kind === "ok"
        ? {
            ...named,
            start: this.joins.startOf(named.camera, named.start, {
              at: named.mtimeMs / 1000,
              duration: probe.duration,
            }),
          }
        : named;
    // Not at stop: a decoder that hangs must not hold up storing what is left (a tmpfs cache is
    // lost at the reboot that may follow); those segments are kept by the fail-safe instead.
    if (probe.kind === "ok" && !at.stopping) await this.handler.analyseMotion(file, probe.duration, at.now);
    let camEvents: HoldingEvent[] = [];
    if (cam?.enabled) {
      const last = queue.at(-1) ?? file;
      camEvents =
        events.get(file.camera) ??
        eventsNear(
          this.deps.db,
          file.camera,
          file.start,
          last.start + MAX_SEGMENT_SECONDS,
          widestPadding(cam.events),
        );
      events.set(file.camera, camEvents);
    }
    const verdict = decideSegment(
      { camera: file.camera, start: file.start, probe },
      {
        camera: cam,
        events: camEvents,
        activity: this.deps.activity.frames(file.camera),
        watermark: activityWatermark(
          this.deps.activity.newestFrameTime(file.camera),
          at.now,
          cam?.max_latency ?? 0,
        ),
        now: at.now,
        stopping: at.stopping,
      },
    );
    switch (verdict.action) {
      case "wait":
        return "blocked"; // later segments end later: they wait too
      case "retry":
        this.handler.failed(file, `probing failed: ${verdict.reason}`, (s) => s.probeFailures++);
        return "retry"; // a failed probe says nothing of the segments after it
      case "drop":
        this.handler.drop(file, verdict.reason, probe);
        if (probe.kind === "ok") this.joins.ended(file.camera, file.start + probe.duration);
        return "drop";
      case "store": {
        if (!this.stats.storageAvailable) return "blocked";
        const placed = await this.handler.place(file, verdict);
        if (placed) this.batch.add({ file, placed, verdict, atMs: at.now * 1000 });
        if (placed !== undefined) this.joins.ended(file.camera, verdict.end);
        return placed === undefined ? "blocked" : "store";
      }
    }
  }

  /**
   * Backlog (docs/retention.md): segments still in the cache whose end the watermark has passed, so
   * they could have been decided. A segment's end is its probed duration, or else the start
   * of the camera's next segment.
   */
  private measureBacklog(
    byCamera: Map<string, CacheFile[]>,
    queues: Map<string, CacheFile[]>,
    now: number,
  ): void {
    for (const [camera, queue] of queues) {
      const cam = this.cfg.cameras[camera]?.record;
      if (!cam) continue; // not configured: its segments are dropped, never a backlog
      const watermark = activityWatermark(this.deps.activity.newestFrameTime(camera), now, cam.max_latency);
      const waiting = new Set(queue);
      const files = byCamera.get(camera)!;
      const backlog = files.filter((f, i) => {
        if (!waiting.has(f)) return false;
        const probe = this.memo.probed(f.path);
        const end = probe?.kind === "ok" ? f.start + probe.duration : files[i + 1]?.start;
        return end !== undefined && readyAt(end, widestPadding(cam.events)) <= watermark;
      }).length;
      const stats = this.stats.camera(camera);
      const limit = cam.max_cache_segments;
      if (backlog > limit && stats.backlog <= limit) {
        log.warn(
          `${camera}: ${backlog} segments waiting in the cache that could have been stored (limit ${limit}); storage may be too slow. None are dropped.`,
        );
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
    this.memo.keepOnly(present);
  }
}
