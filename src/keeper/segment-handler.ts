import { unlinkSync } from "node:fs";
import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine, Probe } from "../media/engine.ts";
import { SPARSE_KEYFRAMES_S, type MotionAnalyser } from "../motion/analyser.ts";
import { quarantineFile } from "../storage/quarantine.ts";
import { placeSegment, type Placed, type StoreFaults } from "../storage/store.ts";
import type { ActivityStore } from "./activity.ts";
import type { CacheFile } from "./cache.ts";
import type { CacheVolumeGuard } from "./cache-volume.ts";
import type { SegmentMemo } from "./segment-memo.ts";
import type { Verdict } from "./segment-verdict.ts";
import type { MaintainerStats } from "./stats.ts";
import type { PlacedSegment, StoreVerdict } from "./store-batch.ts";

// What the keeper does to one decided segment: analyse, drop, place, count, set aside.

const log = logger("maintainer");

/** A segment whose probe or store fails this many times in a row is set aside instead of retried forever. */
export const MAX_ATTEMPTS = 3;

/** What acting on segments needs: the keeper's parts. */
export interface SegmentHandlerDeps {
  config: Config;
  db: Db;
  media: MediaEngine;
  activity: ActivityStore;
  stats: MaintainerStats;
  memo: SegmentMemo;
  cacheVolume: CacheVolumeGuard;
  faults?: StoreFaults;
  motion?: MotionAnalyser;
}

/**
 * What the keeper does to one cache segment once decided: analyse its motion, drop it, place
 * it in storage, count it stored, count a failure, set it aside. Each act keeps the segment's
 * memo and the stats right.
 */
export class SegmentHandler {
  private readonly cfg: Config;

  constructor(private readonly deps: SegmentHandlerDeps) {
    this.cfg = deps.config;
  }

  /**
   * Judges a segment's motion from its footage, once, before it is decided (docs/motion.md): its
   * analysed pictures join the camera's activity. One that cannot be analysed is counted and
   * left to the rules without it (the fail-safe keeps it when no other activity came).
   */
  async analyseMotion(file: CacheFile, duration: number, now: number): Promise<void> {
    const settings = this.cfg.cameras[file.camera]?.motion;
    if (!this.deps.motion || !settings?.enabled || !this.deps.memo.firstAnalysis(file.path)) return;
    const result = await this.deps.motion.analyse(file.camera, file.path, file.start, settings);
    const stats = this.deps.stats.camera(file.camera);
    if (!result.ok) {
      stats.motionFailures++;
      stats.motionProblem = result.reason;
      // Said once when a rest begins, not for every segment of it.
      (result.resting ? log.debug : log.warn)(
        `${file.name}: motion not analysed (${result.reason}); judged without it`,
      );
      return;
    }
    stats.motionProblem = null;
    this.deps.activity.addAnalysed(file.camera, result.frames);
    stats.motionFrames += result.frames.length;
    stats.motionLagS = Math.max(0, now - (file.start + duration));
    if (result.sparse && !stats.motionSparse)
      log.warn(
        `${file.camera}: key frames more than ${SPARSE_KEYFRAMES_S} s apart; motion shorter than that can be missed (set the camera's I-frame interval to 1–2 s)`,
      );
    stats.motionSparse = result.sparse;
  }

  drop(file: CacheFile, reason: Extract<Verdict, { action: "drop" }>["reason"], probe: Probe): void {
    removeFile(file.path);
    this.forget(file);
    if (reason === "unknown_camera") {
      // One counter for all of them: names in the cache are not ours to keep stats on forever.
      this.deps.stats.unknownCameraSegments++;
      log.debug(`dropped ${file.name}: camera not configured`);
      return;
    }
    const stats = this.deps.stats.camera(file.camera);
    if (reason === "corrupt") {
      stats.corrupt++;
      const why =
        probe.kind === "invalid"
          ? probe.reason
          : probe.kind === "ok"
            ? `its duration ${probe.duration} s is not between 0 and ${MAX_SEGMENT_SECONDS} s`
            : probe.reason;
      log.warn(`discarded corrupt segment ${file.name}: ${why}`);
    } else {
      this.deps.stats.drop(file.camera, reason);
      log.debug(`dropped ${file.name}: ${reason}`);
    }
  }

  /**
   * Places a kept segment's copy in storage (steps 1–2 of a store). Returns what was placed,
   * null when nothing is left to index (already stored, or set aside), undefined on failure.
   */
  async place(file: CacheFile, v: StoreVerdict): Promise<Placed | null | undefined> {
    try {
      const outcome = await placeSegment(
        this.deps.db,
        this.deps.media,
        this.cfg.recordingsDir,
        {
          cachePath: file.path,
          camera: file.camera,
          start: file.start,
          end: v.end,
          duration: v.duration,
          motion: v.motion,
          objects: v.objects,
          unjudged: v.unjudged,
        },
        this.deps.faults,
      );
      if (outcome.kind === "placed") return outcome.placed;
      this.forget(file);
      if (outcome.kind === "conflict") {
        log.error(
          `${file.name}: ${outcome.path} already holds a different segment; moving the cache file aside`,
        );
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

  /** Counts a segment whose row committed: it is stored. */
  counted({ file, placed, verdict }: PlacedSegment): void {
    const stats = this.deps.stats.camera(file.camera);
    const duration = placed.req.duration;
    this.forget(file);
    stats.stored++;
    stats.bytesStored += placed.bytes;
    stats.secondsStored += duration;
    stats.lastStoredStart = file.start;
    if (verdict.failSafe) stats.unjudgedKept++;
    if (verdict.keptBy.includes("shutdown")) stats.storedAtStop++;
    this.deps.cacheVolume.saw(file.size);
    log.debug(
      `stored ${file.name} as ${placed.path} (${verdict.keptBy.join("+")}${verdict.failSafe ? ", unjudged" : ""})`,
    );
  }

  /** One more failed attempt at a segment; at MAX_ATTEMPTS it is set aside, never deleted. */
  failed(file: CacheFile, what: string, count: (s: ReturnType<MaintainerStats["camera"]>) => void): void {
    count(this.deps.stats.camera(file.camera));
    const n = this.deps.memo.failedAttempt(file.path);
    log.error(`${file.name}: ${what} (attempt ${n} of ${MAX_ATTEMPTS})`);
    if (n >= MAX_ATTEMPTS) this.quarantine(file);
  }

  /** Keeps a segment that cannot be stored aside, never deletes it (docs/retention.md). */
  private quarantine(file: CacheFile): void {
    try {
      const target = quarantineFile(file.path, this.cfg.dataDir);
      this.forget(file);
      this.deps.stats.camera(file.camera).quarantined++;
      log.error(`quarantined ${file.name} as ${target}: move it back into the cache to retry`);
    } catch (e) {
      log.error(`could not quarantine ${file.name}, leaving it in the cache: ${(e as Error).message}`);
    }
  }

  private forget(file: CacheFile): void {
    this.deps.memo.forget(file.path);
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
