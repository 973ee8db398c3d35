import { Cron } from "croner";
import { type Clocks, realClocks } from "../time/clocks.ts";
import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import type { ClockVerdict } from "../time/clock.ts";
import type { StorageSpace } from "../storage/space.ts";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import { volumeSpace } from "../storage/space.ts";
import { removeStaleClips } from "./clips.ts";
import type { ExpiryRule } from "./expiry-verdict.ts";
import { protectDisk, type DiskDeps, type DiskReport } from "./disk.ts";
import { runExpiry, type ExpiryReport } from "./expire.ts";
import { enforceQuotas, type QuotaReport } from "./quotas.ts";

// When cleanup runs: croner jobs for expiry, disk protection with quotas, and clip clean-up.

const log = logger("cleanup");

export interface CleanupDeps {
  config: Config;
  db: Db;
  /** Why nothing may be deleted now (storage unmounted, reconcile refused), or undefined. */
  storageProblem: () => string | undefined;
  clock: () => ClockVerdict;
  space: () => StorageSpace;
  /** The clocks (docs/design.md#time); real unless a test simulates them. */
  clocks?: Clocks;
  /** Checks a tier's copy before disk protection lets the local file go for it (DiskDeps). */
  confirmCopy?: DiskDeps["confirmCopy"];
  /** When each job runs; default: expiry at record.expire_at or every expire_interval minutes, the rest every minute. */
  schedules?: Record<JobName, Schedule>;
}

type JobName = "expiry" | "disk" | "clips";

/**
 * When a job runs: a cron pattern (croner's syntax, seconds optional, the box's local time),
 * or every so many seconds, the first run one interval (at most a minute) after start.
 */
export type Schedule = { cron: string } | { everySeconds: number };

/** Every minute, at second 0. */
const EVERY_MINUTE: Schedule = { cron: "0 * * * * *" };

export function defaultSchedules(config: Config): Record<JobName, Schedule> {
  const { expire_at, expire_interval } = config.record;
  return {
    expiry: expire_at ? { cron: expire_at } : { everySeconds: expire_interval * 60 },
    disk: EVERY_MINUTE,
    clips: EVERY_MINUTE,
  };
}

/** What cleanup has done since start, for status and metrics. */
export interface CleanupCounters {
  expiryRuns: number;
  expired: Partial<Record<ExpiryRule, number>>;
  eventsExpired: number;
  diskRuns: number;
  diskDeleted: number;
  diskFreedBytes: number;
  clipsRemoved: number;
  /** Recordings deleted to bring cameras back under record.max_size. */
  quotaDeleted: number;
  skipped: Record<string, number>;
}

/**
 * The scheduled deletions (docs/retention.md) on croner jobs. `protect` keeps two runs of one
 * job from overlapping; `catch` logs a failed run and keeps the job. Nothing is deleted while
 * storage looks unmounted or the clock is not to be trusted. Jobs fire on the real wall
 * clock, as cron does; the injected `now` decides only what counts as old.
 */
export class Cleanup {
  readonly counters: CleanupCounters = {
    expiryRuns: 0,
    expired: {},
    eventsExpired: 0,
    diskRuns: 0,
    diskDeleted: 0,
    diskFreedBytes: 0,
    clipsRemoved: 0,
    quotaDeleted: 0,
    skipped: {},
  };
  lastExpiry?: ExpiryReport;
  lastDisk?: DiskReport;
  /**
   * Why storing new footage has stopped, or null: the disk is under storage.min_free and all
   * that is left is kept forever, which disk protection never deletes (docs/retention.md).
   * Cleared by the first disk check that finds room again.
   */
  storingHalted: string | null = null;
  private startup?: Promise<unknown>;
  /** The last quota run's report per camera that was over its quota. */
  lastQuotas = new Map<string, QuotaReport>();
  private jobs: Cron[] = [];
  private stopped = false;

  constructor(private readonly deps: CleanupDeps) {}

  start(): void {
    if (this.stopped) return; // nothing starts after stop()
    const schedules = this.deps.schedules ?? defaultSchedules(this.deps.config);
    const job = (name: JobName, fn: () => unknown) => {
      const when = schedules[name];
      const options = {
        protect: true,
        catch: (e: unknown) => log.error(`${name} failed: ${(e as Error).stack ?? e}`),
      };
      const run = async () => {
        noteJob(`cleanup: ${name}`);
        await fn();
      };
      if ("cron" in when) return new Cron(when.cron, options, run);
      // An interval's first run comes one interval (at most a minute) after start, as in the
      // reference: a box that just booted gets a moment for its clock and disks to settle.
      const startAt = new Date(Date.now() + Math.min(when.everySeconds, 60) * 1000);
      return new Cron("* * * * * *", { ...options, interval: when.everySeconds, startAt }, run);
    };
    // The quotas at once too, not only a minute later: a camera over its quota (a lowered
    // record.max_size) does not keep eating the disk while the box settles.
    this.startup = this.enforceQuotasNow().catch((e) =>
      log.error(`quotas failed: ${(e as Error).stack ?? e}`),
    );
    this.jobs = [
      job("expiry", () => this.expireNow()),
      job("disk", async () => {
        await this.protectDiskNow();
        await this.enforceQuotasNow();
      }),
      job("clips", () => this.removeClipsNow()),
    ];
  }

  /** Seconds between expiry runs as scheduled: the interval, or between the cron's next two runs. */
  expiryIntervalSeconds(): number {
    const when = (this.deps.schedules ?? defaultSchedules(this.deps.config)).expiry;
    if (!("cron" in when)) return when.everySeconds;
    const [a, b] = new Cron(when.cron, { paused: true }).nextRuns(2);
    return a && b ? (b.getTime() - a.getTime()) / 1000 : 0;
  }

  /** Stops scheduling; waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.startup;
    for (const job of this.jobs) job.stop();
    while (this.jobs.some((j) => j.isBusy())) await Bun.sleep(20);
    this.jobs = [];
  }

  private nowMs(): number {
    return (this.deps.clocks ?? realClocks).now() * 1000;
  }

  /** kind: a short label for metrics ("storage", "clock"); why: the message for the log. */
  private skip(kind: "storage" | "clock", why: string, what: string): void {
    this.counters.skipped[kind] = (this.counters.skipped[kind] ?? 0) + 1;
    log.warn(`${what} skipped: ${why}`);
  }

  async expireNow(): Promise<ExpiryReport | undefined> {
    const problem = this.deps.storageProblem();
    if (problem) return void this.skip("storage", problem, "expiry");
    const clock = this.deps.clock();
    if (!clock.sane) return void this.skip("clock", clock.reason ?? "clock not sane", "expiry");
    const report = await runExpiry({
      config: this.deps.config,
      db: this.deps.db,
      now: this.nowMs() / 1000,
    });
    this.lastExpiry = report;
    this.counters.expiryRuns++;
    this.counters.eventsExpired += report.eventsExpired;
    for (const byRule of Object.values(report.recordings)) {
      for (const [rule, n] of Object.entries(byRule) as [ExpiryRule, number][])
        this.counters.expired[rule] = (this.counters.expired[rule] ?? 0) + n;
    }
    return report;
  }

  async protectDiskNow(): Promise<DiskReport | undefined> {
    const problem = this.deps.storageProblem();
    if (problem) return void this.skip("storage", problem, "disk protection");
    const space = this.deps.space();
    if (space.free >= space.minFree) {
      if (this.storingHalted) log.warn("storage has room again: storing new footage resumes");
      this.storingHalted = null;
      return undefined;
    }
    // With a clock not to be trusted, act only when the disk is really filling (half the margin gone).
    const clock = this.deps.clock();
    if (!clock.sane && space.free >= space.minFree / 2)
      return void this.skip("clock", clock.reason ?? "clock not sane", "disk protection");
    const report = await protectDisk({
      config: this.deps.config,
      db: this.deps.db,
      threshold: space.minFree,
      free: () => volumeSpace(this.deps.config.recordingsDir).free,
      confirmCopy: this.deps.confirmCopy,
    });
    if (report?.onlyKeptForeverLeft) {
      if (!this.storingHalted)
        log.error(
          "STORING STOPPED: storage is under storage.min_free and all footage left is kept forever or in an open case; new segments wait in the cache (and are lost if it fills). Free space, move footage to a tier, or release kept footage or close a case",
        );
      this.storingHalted =
        "storage is under storage.min_free and all footage left is kept forever or in an open case: new footage is not stored";
    } else if (report && this.storingHalted) {
      log.warn("storage has room again: storing new footage resumes");
      this.storingHalted = null;
    }
    if (report) {
      this.lastDisk = report;
      this.counters.diskRuns++;
      this.counters.diskDeleted += report.deleted;
      this.counters.diskFreedBytes += report.freedBytes;
    }
    return report ?? undefined;
  }

  /** Cameras over record.max_size lose their oldest footage (not while storage looks unmounted). */
  async enforceQuotasNow(): Promise<QuotaReport[] | undefined> {
    const problem = this.deps.storageProblem();
    if (problem) return void this.skip("storage", problem, "quotas");
    const reports = await enforceQuotas(this.deps.config, this.deps.db);
    for (const r of reports) {
      this.lastQuotas.set(r.camera, r);
      this.counters.quotaDeleted += r.deleted;
    }
    return reports;
  }

  removeClipsNow(): number {
    const n = removeStaleClips(this.deps.config.cacheDir, this.nowMs());
    this.counters.clipsRemoved += n;
    return n;
  }
}
