import { join } from "node:path";
import { type Clocks, realClocks } from "../time/clocks.ts";
import type { Config } from "../config/load.ts";
import { getMeta, setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import {
  abandonTransfer,
  commitTransfer,
  doneDiscard,
  dropTransfer,
  dropTransfersOutside,
  dueForMove,
  failDiscard,
  failTransfer,
  forgetCopy,
  hasPendingTransfers,
  missingCopies,
  pendingTransfers,
  postponeDiscard,
  queueTransfers,
  readyDiscards,
  readyTransfers,
  stillNeeded,
  syncDiscardTrigger,
  transferSource,
  type Discard,
  type Transfer,
} from "../db/tiers.ts";
import { dueMoves, moveStillDue, retryDelay } from "../domain/tiers.ts";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import { keyOf } from "../storage/layout.ts";
import { removeLocalFile } from "../storage/remove.ts";
import { compareTierWithIndex } from "./compare.ts";
import { TierLane, type TierCounters } from "./lane.ts";
import { tierStatus, type TierStatus } from "./status.ts";
import { md5Hex, type TierTarget } from "./target.ts";
import { copyToTier, type TransferFaults } from "./transfer.ts";

// The tier worker: due moves queued, transfers and removals run per tier, copies committed.

export type { TierCounters } from "./lane.ts";
export type { TierStatus } from "./status.ts";
export type { TransferFaults } from "./transfer.ts";

const log = logger("tiers");

/** How often the queues are looked at; due moves start within a minute (docs/tiers.md). */
const TICK_MS = 2_000;
/** Transfers queued per tier at most: the queue the scan for due moves passes over stays short. */
const QUEUE_CAP = 200;
/** How often each tier is asked whether it can be used (TierTarget.probe), besides at start. */
const PROBE_S = 300;
/** A discard whose object is being written again waits this long before it is looked at again. */
const DISCARD_WAIT_S = 5;

export interface TierWorkerDeps {
  config: Config;
  db: Db;
  targets: Map<string, TierTarget>;
  faults?: TransferFaults;
  /**
   * Why local storage may not be touched now (unmounted, another disk in its place), or
   * undefined: the StorageGate's answer. Absent: always touchable (tests of the worker alone).
   */
  storageProblem?: () => string | undefined;
  /** The clocks (docs/design.md#time); real unless a test simulates them. */
  clocks?: Clocks;
}

/**
 * Moves and copies footage to the tiers and removes what they no longer need (docs/tiers.md,
 * docs/design.md#tiers). Every decision is read from the queues in SQLite, so a restart carries on
 * where it stopped; each tier has its lane (lane.ts): a tier that fails rests without holding up
 * any other, nor the keeper.
 */
export class TierWorker {
  private readonly lanes = new Map<string, TierLane>();
  private timer?: Timer;
  /** A look at the queues asked for in a later macrotask (soon()). */
  private soonTimer?: Timer;
  private ticking = false;
  private again = false;
  private stopped = false;
  /** The start-up comparison of folder tiers with the index (stop() waits for it). */
  private comparing?: Promise<void>;
  /** When due moves were last queued, and tiers probed (epoch s). */
  private queuedAt = -Infinity;
  private probedAt = -Infinity;
  private readonly nowS: () => number;

  constructor(private readonly deps: TierWorkerDeps) {
    const clocks = deps.clocks ?? realClocks;
    this.nowS = () => clocks.now();
    for (const t of deps.config.storage.tiers)
      this.lanes.set(t.name, new TierLane(t, deps.targets.get(t.name)!));
    // Before any transfer is queued: every row marked tiered must meet the trigger when deleted.
    syncDiscardTrigger(deps.db, deps.config.storage.tiers.length > 0);
    const dropped = dropTransfersOutside(
      deps.db,
      deps.config.storage.tiers.map((t) => t.name),
      this.nowS(),
    );
    if (dropped) log.warn(`dropped ${dropped} queued transfers to tiers no longer configured`);
  }

  /** What each tier's worker has done since start, by tier. */
  get counters(): ReadonlyMap<string, TierCounters> {
    return new Map([...this.lanes].map(([name, lane]) => [name, lane.counters]));
  }

  start(): void {
    if (!this.lanes.size || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    void this.tick();
    this.comparing = this.compareWithIndex().catch((e) =>
      log.error(`comparing the tiers with the index failed: ${(e as Error).stack ?? e}`),
    );
  }

  private async compareWithIndex(): Promise<void> {
    const deps = { db: this.deps.db, nowS: this.nowS, stopped: () => this.stopped };
    for (const lane of this.lanes.values()) {
      if (this.stopped) return;
      await compareTierWithIndex(deps, lane.name, lane.target);
    }
  }

  /**
   * Stops taking work, waits (up to 5 s: stopping has TimeoutStopSec to keep) for what is in
   * flight — an interrupted transfer is safe, only wasted — and counts what was verified.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    const inFlight = [...this.lanes.values()].flatMap((l) => [
      ...l.transfers.values(),
      ...l.removals.values(),
    ]);
    let patience: Timer | undefined;
    await Promise.race([
      Promise.allSettled([...inFlight, this.comparing]),
      new Promise((r) => (patience = setTimeout(r, 5_000))),
    ]);
    clearTimeout(patience);
    await this.commitVerified();
  }

  /**
   * One look at the queues: due moves queued, ready work started up to each tier's concurrency.
   * A look asked for while one runs is taken after it, in a later macrotask (soon()): work that
   * ends without real I/O (a declined discard, a transfer with nothing to do) must never chain
   * round after round in microtasks, where timers and sockets — the API, health — never run.
   */
  async tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    this.again = false;
    try {
      if (this.stopped) return;
      noteJob("tiers: a look at the queues");
      const now = this.nowS();
      if (now - this.probedAt >= PROBE_S) {
        this.probedAt = now;
        void this.probeAll();
      }
      await this.commitIfDue(now);
      // Due moves are looked for once a tick interval, not each time a transfer ends: the
      // scan passes over the queue, and the queue holds enough work until then.
      if (now - this.queuedAt >= TICK_MS / 1000) {
        this.queueDue(now);
        this.queuedAt = now;
      }
      for (const lane of this.lanes.values()) {
        // A tier that just failed rests before anything else is tried on it: an outage
        // with a long queue must not read and hash segment after segment to fail each.
        if (lane.resting(now)) continue;
        const room = lane.config.concurrency - lane.busy;
        if (room <= 0) continue;
        for (const t of readyTransfers(this.deps.db, lane.name, now, room, lane.busyKeys()))
          this.launch(lane.transfers, t.key, lane, () => this.transfer(t, lane));
        for (const d of readyDiscards(this.deps.db, lane.name, now, room))
          this.launch(lane.removals, d.key, lane, () => this.discard(d, lane));
      }
    } catch (e) {
      log.error(`tier queues: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
      if (this.again) this.soon();
    }
  }

  /** Asks for a look at the queues in a later macrotask, once however often asked meanwhile. */
  private soon(): void {
    if (this.soonTimer || this.stopped) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.tick();
    }, 0);
  }

  /** Starts work on `key` in one of a lane's maps, unless that key is busy or the lane is full. */
  private launch(
    work: Map<string, Promise<void>>,
    key: string,
    lane: TierLane,
    run: () => Promise<void>,
  ): void {
    if (work.has(key) || lane.busy >= lane.config.concurrency) return;
    work.set(
      key,
      run().finally(() => {
        work.delete(key);
        this.soon();
      }),
    );
  }

  /** Queues moves that came due and a new copy tier's backlog, a bounded number per tier. */
  private queueDue(now: number): void {
    const { config, db } = this.deps;
    const room = (tier: string) => QUEUE_CAP - pendingTransfers(db, tier);
    const key = (r: { tier: string | null; path: string }) => keyOf(r, config.recordingsDir);
    for (const move of dueMoves(config.storage.tiers, now)) {
      const n = room(move.to);
      if (n <= 0) continue;
      const due = dueForMove(db, move.from, move.to, move.before, n);
      if (due.length)
        db.$client.transaction(() =>
          queueTransfers(
            db,
            due.map((r) => ({ id: r.id, tier: move.to, key: key(r), kind: "move" })),
            now,
          ),
        )();
    }
    for (const tier of config.storage.tiers.filter((t) => t.copy)) {
      const cursorKey = `copy_backfill:${tier.name}`;
      const cursor = getMeta(db, cursorKey);
      if (cursor === "done") continue; // (asked first: counting a long queue is not free)
      const n = room(tier.name);
      if (n <= 0) continue;
      const rows = missingCopies(db, tier.name, cursor === undefined ? 0 : Number(cursor), n);
      db.$client.transaction(() => {
        queueTransfers(
          db,
          rows.map((r) => ({ id: r.id, tier: tier.name, key: key(r), kind: "copy" })),
          now,
        );
        // New recordings are queued as they are stored: once the walk reaches the end, it is done.
        setMeta(db, cursorKey, rows.length < n ? "done" : String(rows.at(-1)!.rowid));
      })();
    }
  }

  private async transfer(t: Transfer, lane: TierLane): Promise<void> {
    const { db } = this.deps;
    try {
      const src = transferSource(db, t.recording_id);
      if (src?.tier === t.tier) return dropTransfer(db, t); // already there
      // Gone, or moved on past where this move was to take it: never moved back.
      if (!src || (t.kind === "move" && !moveStillDue(this.deps.config.storage.tiers, src.tier, t.tier)))
        return abandonTransfer(db, t, this.nowS());
      const copy = await copyToTier(t, src, lane, (tier) => this.deps.targets.get(tier), {
        faults: this.deps.faults,
        nowS: this.nowS,
      });
      lane.verified.add(t.key, copy, copy.at);
      lane.succeeded(this.nowS());
      if (this.deps.config.record.commit_interval === 0) await this.commitVerified();
    } catch (e) {
      const message = (e as Error).message;
      failTransfer(db, t, this.nowS() + retryDelay(t.attempts + 1), message);
      lane.failed(message, this.nowS());
    }
  }

  /** Asks every tier whether it can be used; what is wrong shows in status (and the log, once). */
  private async probeAll(): Promise<void> {
    await Promise.all(
      [...this.lanes.values()].map(async (lane) => {
        const problem = await lane.target.probe();
        if (problem && problem !== lane.probeProblem) log.warn(problem);
        lane.probeProblem = problem;
      }),
    );
  }

  /**
   * Verified copies are counted together, in one transaction, once the oldest has waited
   * record.commit_interval (as stored segments are indexed): a commit per copy would write
   * several database pages per segment (SD-card wear). Until then a crash only costs the
   * upload again. Sources of moves are removed after the commit.
   */
  private async commitVerified(): Promise<void> {
    const batch = [...this.lanes.values()].flatMap((lane) => lane.verified.items().map((v) => ({ lane, v })));
    if (!batch.length) return;
    const { db, faults } = this.deps;
    const now = this.nowS();
    const results = db.$client.transaction(() =>
      batch.map(({ v }) => commitTransfer(db, v.t, v.src, v.bytes, v.md5, now)),
    )();
    for (const { lane, v } of batch) lane.verified.delete(v.t.key);
    for (const [i, { lane, v }] of batch.entries()) {
      const { localLeft, counted } = results[i]!;
      if (counted) {
        lane.counters[v.t.kind === "move" ? "moved" : "copied"]++;
        lane.counters.bytes += v.bytes;
      }
      await faults?.("after-commit", v.t);
      try {
        // The gate first, as every deletion asks it (docs/design.md#crash-safety): the path of a
        // moved segment on a disk swapped in meanwhile is someone else's footage.
        const problem = localLeft && this.deps.storageProblem?.();
        if (problem)
          log.warn(
            `not removing ${localLeft}, moved to tier ${v.t.tier}: ${problem}; the next start's reconcile removes it`,
          );
        else if (localLeft) removeLocalFile(localLeft, this.deps.config.recordingsDir);
      } catch (e) {
        // The row points at the tier already; the next start's reconcile removes the file.
        log.warn(`cannot remove ${localLeft}, moved to tier ${v.t.tier}: ${(e as Error).message}`);
      }
      await faults?.("after-source-removed", v.t);
    }
  }

  /** Commits the verified copies once the oldest of a tier's has waited record.commit_interval, or many wait. */
  private async commitIfDue(now: number): Promise<void> {
    const interval = this.deps.config.record.commit_interval;
    if ([...this.lanes.values()].some((lane) => lane.verified.due(now, interval)))
      await this.commitVerified();
  }

  private async discard(d: Discard, lane: TierLane): Promise<void> {
    const { db } = this.deps;
    // Never remove what a row or a copy points at (a key used again), or what a queued transfer
    // is to write: that is no garbage (the transfer's end decides, db/tiers.ts).
    if (stillNeeded(db, d.tier, d.key, join(this.deps.config.recordingsDir, d.key)))
      return doneDiscard(db, d);
    // Being written again by a transfer whose recording went meanwhile: after it, not ready at once.
    if (lane.writing(d.key)) return postponeDiscard(db, d, this.nowS() + DISCARD_WAIT_S);
    try {
      await lane.target.remove(d.key);
      doneDiscard(db, d);
      lane.counters.discarded++;
    } catch (e) {
      failDiscard(db, d, this.nowS() + retryDelay(d.attempts + 1));
      lane.failed((e as Error).message, this.nowS());
    }
  }

  /**
   * Whether a counted copy is still complete: verified again against the local file, as when it
   * was made. One found missing or damaged is forgotten and queued to be made again; a tier
   * that cannot be asked now confirms nothing (the local file stays).
   */
  async confirmCopy(copy: { id: string; path: string; tier: string; key: string }): Promise<boolean> {
    const target = this.deps.targets.get(copy.tier);
    if (!target || target.problem()) return false;
    try {
      const bytes = await Bun.file(copy.path).bytes();
      const bad = await target.verify(copy.key, bytes, () => md5Hex(bytes));
      if (!bad) return true;
      log.warn(`tier ${copy.tier}: ${copy.key}: ${bad}; keeping the local file and copying it again`);
      forgetCopy(this.deps.db, copy.id, copy.tier, copy.key, this.nowS());
    } catch (e) {
      log.warn(
        `tier ${copy.tier}: cannot check the copy of ${copy.key} (${(e as Error).message}): keeping the local file`,
      );
    }
    return false;
  }

  /** What health needs of each tier: how long it has failed, and whether footage waits for it. */
  healthStates(): { failingForS: number | null; backlog: boolean }[] {
    const now = this.nowS();
    return [...this.lanes.values()].map(({ name, counters: c }) => ({
      failingForS: c.failingSince === undefined ? null : now - c.failingSince,
      backlog: hasPendingTransfers(this.deps.db, name),
    }));
  }

  /** A tier's copies verified and waiting to be counted at the next commit (no query: benchmarks poll it). */
  awaitingCommit(tier: string): number {
    return this.lanes.get(tier)?.verified.size ?? 0;
  }

  /** Each tier as status shows it. */
  status(): TierStatus[] {
    const now = this.nowS();
    return [...this.lanes.values()].map((lane) => tierStatus(lane, this.deps.db, now));
  }
}
