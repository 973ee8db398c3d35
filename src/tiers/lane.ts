import type { TierConfig } from "../config/tiers.ts";
import { CommitBatch } from "../domain/commit-batch.ts";
import type { Transfer, TransferSource } from "../db/tiers.ts";
import { retryDelay } from "../domain/tiers.ts";
import { logger } from "../log/log.ts";
import type { TierTarget } from "./target.ts";

// One tier's lane: its work in flight, verified copies, counters, rest and pacing.

const log = logger("tiers");

/** A failing tier rests 2, 4, 8 … s after each failure, at most this long: it is noticed back within a minute. */
const PAUSE_MAX_S = 60;

/** What a tier's worker has done since start, for status and metrics. */
export interface TierCounters {
  moved: number;
  copied: number;
  bytes: number;
  failures: number;
  /** Failures since the last success: how long the tier rests before its next attempt. */
  consecutive: number;
  discarded: number;
  lastError?: string;
  lastErrorAt?: number; // epoch s
  lastSuccessAt?: number;
  /** When the current run of failures began (no success since), or undefined when the last attempt worked. */
  failingSince?: number;
}

/** A copy verified in its tier, waiting to be counted at the next commit. */
export interface VerifiedCopy {
  t: Transfer;
  src: TransferSource;
  bytes: number;
  md5: string | null;
  /** When it was verified (epoch s): the oldest one's age decides the commit. */
  at: number;
}

/**
 * One tier's lane: its work in flight (by key: a transfer or a removal of that key at a time),
 * its verified copies waiting for their commit, its counters, its rest after a failure, its
 * pacing, and what its last probe found. Everything the worker knows of a tier is here; its
 * queues are in SQLite (db/tiers.ts).
 */
export class TierLane {
  readonly counters: TierCounters = {
    moved: 0,
    copied: 0,
    bytes: 0,
    failures: 0,
    consecutive: 0,
    discarded: 0,
  };
  /** Transfers and removals under way, by key, and when each ends. */
  readonly transfers = new Map<string, Promise<void>>();
  readonly removals = new Map<string, Promise<void>>();
  /** Copies verified, waiting to be counted together (by transfer key). */
  readonly verified = new CommitBatch<VerifiedCopy>();
  /** What the last probe found wrong (undefined: nothing). */
  probeProblem?: string;
  private pausedUntil = 0;
  private nextFreeAtMs = 0;

  constructor(
    readonly config: TierConfig,
    readonly target: TierTarget,
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** Work under way in this tier. */
  get busy(): number {
    return this.transfers.size + this.removals.size;
  }

  /** Keys whose transfer is in flight or verified: not to be started again. */
  busyKeys(): string[] {
    return [...this.transfers.keys(), ...this.verified.keys()];
  }

  /** Whether a transfer of `key` is being written or waits for its commit. */
  writing(key: string): boolean {
    return this.transfers.has(key) || this.verified.has(key);
  }

  /** Whether the tier rests after a failure, at `now` (epoch s). */
  resting(now: number): boolean {
    return now < this.pausedUntil;
  }

  /** The tier worked: it no longer rests, and whatever a probe said before is past. */
  succeeded(now: number): void {
    this.probeProblem = undefined;
    this.counters.lastSuccessAt = now;
    this.counters.failingSince = undefined;
    this.counters.consecutive = 0;
  }

  /** Something failed in this tier: counted, logged (when new, then every 10 minutes), and the tier rests. */
  failed(message: string, now: number): void {
    const c = this.counters;
    c.failures++;
    c.consecutive++;
    c.failingSince ??= now;
    this.pausedUntil = now + Math.min(PAUSE_MAX_S, retryDelay(c.consecutive));
    if (message !== c.lastError || now - (c.lastErrorAt ?? 0) >= 600) {
      log.warn(message);
      c.lastErrorAt = now;
    }
    c.lastError = message;
  }

  /** Waits until `bytes` may go at the tier's max_rate (none: at once). */
  async pace(bytes: number): Promise<void> {
    const rate = this.config.maxRate;
    if (!rate) return;
    const nowMs = Date.now();
    const start = Math.max(nowMs, this.nextFreeAtMs);
    this.nextFreeAtMs = start + (bytes / rate) * 1000;
    if (start > nowMs) await Bun.sleep(start - nowMs);
  }
}
