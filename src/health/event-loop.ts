import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { jobBuffer, jobTimes, LABEL_AT, monotonicNowMs as nowMs } from "../log/current-job.ts";
import { logger } from "../log/log.ts";

/**
 * The event loop's heartbeat and the watchdog thread that sees it
 * (docs/design.md#what-runs-when). Everything camkeep does runs on one event loop: a job that never yields (a livelock in
 * microtasks, a runaway loop) stops storing, the API and health at once, and nothing on that loop
 * can notice. A worker thread can: it reads a heartbeat from shared memory and ends the process
 * with status 70 once the beat is older than health.max_stall, so the service manager starts
 * camkeep again (the unit has Restart=on-failure) — and a restarted keeper stores what the cache
 * holds.
 */

const log = logger("watchdog");

/** How often the loop beats; a beat later than this by more than STALL_S counts as a stall. */
const BEAT_MS = 500;
/** A beat this late (seconds) is counted as a stall in status and metrics. */
const STALL_S = 1;
/** How long the lag metric remembers its largest value: about a scrape interval or four. */
const LAG_WINDOW_MS = 60_000;
/**
 * The thread is an entry point of its own (scripts/build.sh names it). In a compiled binary
 * every module's URL is the binary's (file:///$bunfs/root/<name>) and entry points keep their
 * place under src/; run from source, the path is this module's neighbour.
 */
const THREAD_URL = new URL(
  import.meta.url.startsWith("file:///$bunfs/") ? "./health/watchdog-thread.ts" : "./watchdog-thread.ts",
  import.meta.url,
).href;
/** The exit status after a stall (EX_SOFTWARE): not 0, so systemd's Restart=on-failure applies. */
export const STALL_EXIT_STATUS = 70;

/** What the thread needs to watch (posted to it once). */
export interface WatchOrders {
  shared: SharedArrayBuffer;
  labelAt: number;
  maxStallMs: number;
  exitStatus: number;
  /** Where the thread writes what it saw before ending the process, for the next start to report. */
  stallFile: string;
  /**
   * Set to 1 when this keeper stops: the thread stands down at once. (Terminating a worker
   * needs the main loop to run; a stopped keeper whose process then blocks — a test's
   * synchronous build — must not be ended by its old watchdog.)
   */
  stopped: SharedArrayBuffer;
}

/** What the watchdog thread wrote before it ended the previous run. */
export interface StallRecord {
  at: number; // epoch s
  stalled_s: number;
  last_job: string;
  last_job_began_s_before: number;
}

export interface EventLoopStatus {
  /** The largest lag of a heartbeat in the last minute, seconds. */
  lag_s: number;
  longest_stall_s: number;
  longest_stall_at: number | null;
  /** Beats more than a second late since start. */
  stalls: number;
  max_stall_s: number;
  /** Whether the watchdog thread is running. */
  watched: boolean;
  /** The stall that ended the previous run, if the watchdog ended it. */
  previous_run_stalled: StallRecord | null;
}

/** The heartbeat, its lag figures, and the watchdog thread of one running keeper. */
export class LoopWatch {
  private timer?: Timer;
  private thread?: Worker;
  private watched = false;
  /** Ends start()'s wait for the thread's answer (stop() during start). */
  private answered?: (ok: boolean) => void;
  private lastBeatMs = nowMs();
  private recent: { atMs: number; lagS: number }[] = [];
  private longest = { s: 0, at: null as number | null };
  private stalls = 0;
  private readonly stopped = new Int32Array(new SharedArrayBuffer(4));
  readonly previousStall: StallRecord | null;

  constructor(
    private readonly maxStallS: number,
    private readonly stallFile: string,
  ) {
    this.previousStall = readStallRecord(stallFile);
    if (this.previousStall) {
      const p = this.previousStall;
      log.error(
        `the previous run was ended by the watchdog at ${new Date(p.at * 1000).toISOString()}: the event loop had not run for ${p.stalled_s} s (the last job that began: ${p.last_job}, ${p.last_job_began_s_before} s before)`,
      );
    }
  }

  /** Watches started and not stopped in this process (a test run checks that none are left). */
  static running = 0;

  /** Starts the heartbeat and the thread; resolves once the thread answered (or said nothing in 5 s). */
  async start(): Promise<void> {
    LoopWatch.running++;
    jobTimes[0] = this.lastBeatMs = nowMs();
    this.timer = setInterval(() => this.beat(), BEAT_MS);
    this.timer.unref();
    // smol: it holds a few numbers; ref false: it never keeps a stopping keeper alive.
    const thread = new Worker(THREAD_URL, { smol: true, ref: false });
    this.thread = thread;
    let patience: Timer | undefined;
    const ready = new Promise<boolean>((resolve) => {
      this.answered = resolve;
      thread.onmessage = () => resolve(true);
      thread.onerror = (e) => {
        log.error(`the watchdog thread failed: ${e.message}`);
        resolve(false);
      };
      patience = setTimeout(() => resolve(false), 5_000);
    });
    const orders: WatchOrders = {
      shared: jobBuffer,
      labelAt: LABEL_AT,
      maxStallMs: this.maxStallS * 1000,
      exitStatus: STALL_EXIT_STATUS,
      stallFile: this.stallFile,
      stopped: this.stopped.buffer as SharedArrayBuffer,
    };
    thread.postMessage(orders);
    const watched = await ready;
    clearTimeout(patience);
    this.answered = undefined;
    if (this.thread !== thread) return; // stopped meanwhile
    this.watched = watched;
    if (!this.watched)
      log.error("the watchdog thread did not start: a stalled event loop will not be noticed");
  }

  stop(): void {
    if (this.timer) LoopWatch.running--;
    clearInterval(this.timer);
    this.timer = undefined;
    Atomics.store(this.stopped, 0, 1);
    this.thread?.terminate();
    this.thread = undefined;
    this.watched = false;
    this.answered?.(false);
  }

  private beat(): void {
    const now = nowMs();
    const lagS = Math.max(0, (now - this.lastBeatMs - BEAT_MS) / 1000);
    jobTimes[0] = this.lastBeatMs = now;
    if (lagS >= STALL_S) {
      this.stalls++;
      log.warn(`the event loop was held for ${lagS.toFixed(1)} s`);
    }
    if (lagS > this.longest.s) this.longest = { s: lagS, at: Date.now() / 1000 };
    this.recent = this.recent.filter((r) => now - r.atMs < LAG_WINDOW_MS);
    this.recent.push({ atMs: now, lagS });
  }

  status(): EventLoopStatus {
    return {
      lag_s: round3(Math.max(0, ...this.recent.map((r) => r.lagS))),
      longest_stall_s: round3(this.longest.s),
      longest_stall_at: this.longest.at,
      stalls: this.stalls,
      max_stall_s: this.maxStallS,
      watched: this.watched,
      previous_run_stalled: this.previousStall,
    };
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The record the thread left, read once and removed (it is reported by this run's status). */
function readStallRecord(file: string): StallRecord | null {
  if (!existsSync(file)) return null;
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as StallRecord;
    unlinkSync(file);
    return record;
  } catch (e) {
    log.warn(`cannot read the watchdog's record ${file}: ${(e as Error).message}`);
    return null;
  }
}
