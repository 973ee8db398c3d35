import { join } from "node:path";
import { removeLocalFile } from "../storage/remove.ts";
import type { Config } from "../config/load.ts";
import type { TierConfig } from "../config/tiers.ts";
import { getMeta, setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import type { ArchiveTotals } from "../db/totals.ts";
import {
  abandonTransfer, commitTransfer, dropLostTierRows, doneDiscard, dropTransfer, postponeDiscard, dropTransfersOutside, dueForMove, forgetCopy, tierEntriesAfter, type TierEntry, failDiscard, failTransfer, missingCopies, pendingTransfers, queueTransfers,
  hasPendingTransfers, readyDiscards, readyTransfers, stillNeeded, syncDiscardTrigger, tierQueueStats, transferSource, type Discard, type Transfer, type TransferSource,
} from "../db/tiers.ts";
import { dueMoves, moveStillDue, retryDelay } from "../domain/tiers.ts";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import { keyOf } from "../storage/layout.ts";
import { md5Hex, type TierTarget } from "./target.ts";

const log = logger("tiers");

/** How often the queues are looked at; due moves start within a minute (docs/tiers.md). */
const TICK_MS = 2_000;
/** Transfers queued per tier at most: the queue the scan for due moves passes over stays short. */
const QUEUE_CAP = 200;
/** How often each tier is asked whether it can be used (TierTarget.probe), besides at start. */
const PROBE_S = 300;
/** Verified copies counted together at most: a drained backlog is committed as it goes. */
const MAX_UNCOMMITTED = 200;
/** A failing tier rests 2, 4, 8 … s after each failure, at most this long: it is noticed back within a minute. */
const TIER_PAUSE_MAX_S = 60;
/** A discard whose object is being written again waits this long before it is looked at again. */
const DISCARD_WAIT_S = 5;

/** What identifies a transfer in flight or waiting for its commit: its tier and key. */
const transferId = (t: { tier: string; key: string }) => `t\0${t.tier}\0${t.key}`;

/** The steps of a transfer after which a crash leaves a distinct state (the crash tests stop there). */
export type TransferStep = "after-upload" | "after-verify" | "after-commit" | "after-source-removed";
export type TransferFaults = (step: TransferStep, t: Transfer) => void | Promise<void>;

/** A tier in status (docs/tiers.md). */
export interface TierStatus {
  name: string;
  kind: "folder" | "s3";
  role: "move" | "copy";
  after_s: number | null;
  pending: number;
  /** Of those pending, copies already verified, to be counted at the next commit (record.commit_interval). */
  verified_awaiting_commit: number;
  oldest_pending_age_s: number | null;
  discards_pending: number;
  moved: number;
  copied: number;
  bytes_moved: number;
  failures: number;
  removed: number;
  failing_since: number | null;
  last_error: string | null;
  problem: string | null;
}

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

export interface TierWorkerDeps {
  config: Config;
  db: Db;
  /** The keeper's per-camera totals, told of rows removed because their tier lost the file. */
  totals?: ArchiveTotals;
  targets: Map<string, TierTarget>;
  faults?: TransferFaults;
  nowS?: () => number;
}

/**
 * Moves and copies footage to the tiers and removes what they no longer need (docs/tiers.md). Every
 * decision is read from the queues in SQLite, so a restart carries on where it stopped; a tier
 * that fails waits (2 s, 4 s … 10 min per item) without holding up any other, nor the
 * maintainer. Each copy is verified by its content (the store's MD5 of it, or read back and compared) before any row may point at it.
 */
export class TierWorker {
  readonly counters = new Map<string, TierCounters>();
  /** Work under way, by transferId or discard id: its tier, and when it ends. */
  private readonly inFlight = new Map<string, { tier: string; done: Promise<void> }>();
  private readonly nextFreeAt = new Map<string, number>();
  /** Verified copies waiting to be counted together (commitVerified), by transferId. */
  private readonly verified = new Map<string, { t: Transfer; src: TransferSource; bytes: number; md5: string | null; at: number }>();
  /** Until when (epoch s) a tier that failed rests. */
  private readonly pausedUntil = new Map<string, number>();
  private timer?: Timer;
  /** A look at the queues asked for in a later macrotask (soon()). */
  private soonTimer?: Timer;
  private ticking = false;
  /** When due moves were last queued (epoch s). */
  private queuedAt = -Infinity;
  /** What the last probe of each tier found wrong (absent: nothing), and when probes last ran. */
  private readonly probed = new Map<string, string>();
  private probedAt = -Infinity;
  private again = false;
  private stopped = false;
  private readonly nowS: () => number;

  constructor(private readonly deps: TierWorkerDeps) {
    this.nowS = deps.nowS ?? (() => Date.now() / 1000);
    for (const t of deps.config.storage.tiers) this.counters.set(t.name, { moved: 0, copied: 0, bytes: 0, failures: 0, consecutive: 0, discarded: 0 });
    // Before any transfer is queued: every row marked tiered must meet the trigger when deleted.
    syncDiscardTrigger(deps.db, deps.config.storage.tiers.length > 0);
    const dropped = dropTransfersOutside(deps.db, deps.config.storage.tiers.map((t) => t.name), this.nowS());
    if (dropped) log.warn(`dropped ${dropped} queued transfers to tiers no longer configured`);
  }

  start(): void {
    if (!this.deps.config.storage.tiers.length) return;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    void this.tick();
    void this.compareWithIndex();
  }

  /**
   * Start-up reconcile of the tiers that can say what they hold (folders), as storage's own
   * (docs/design.md#crash-safety): rows and copies whose file the tier does not hold are lies — rows removed,
   * copies forgotten and made again. In the background, a file at a time (a share may be
   * slow); nothing is changed if the tier cannot be used, cannot say, or lacks most of them
   * (the wrong share mounted?).
   */
  private async compareWithIndex(): Promise<void> {
    const { db, targets } = this.deps;
    for (const { name } of this.deps.config.storage.tiers) {
      const target = targets.get(name)!;
      if (!target.exists || (await target.probe())) continue;
      const lost: TierEntry[] = [];
      let checked = 0;
      for (let after = "", page; !this.stopped && (page = tierEntriesAfter(db, name, after, 500)).length; after = page.at(-1)!.key) {
        for (const entry of page) {
          const there = await target.exists(entry.key);
          if (there === undefined) return log.warn(`tier ${name}: could not compare it with the index (${entry.key} unanswered); changing nothing`);
          checked++;
          if (!there) lost.push(entry);
        }
      }
      if (this.stopped || !lost.length) continue;
      if (lost.length > checked / 2) {
        log.error(`tier ${name}: ${lost.length} of ${checked} files the index points at are missing: changing nothing (the wrong share mounted?)`);
        continue;
      }
      const { gone, repointed } = dropLostTierRows(db, name, lost.filter((e) => e.kind === "row"));
      for (const r of gone) this.deps.totals?.remove(r.camera, r.segment_size, r.duration);
      const copies = lost.filter((e) => e.kind === "copy");
      for (const c of copies) forgetCopy(db, c.id, name, c.key, this.nowS());
      log.warn(`tier ${name}: files it no longer holds — ${repointed} recordings now read from their copy elsewhere, ${gone.length} removed from the index; ${copies.length} lost copies to be made again`);
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
    await Promise.race([Promise.allSettled([...this.inFlight.values()].map((w) => w.done)), Bun.sleep(5_000)]);
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
      for (const tier of this.deps.config.storage.tiers) {
        // A tier that just failed rests before anything else is tried on it: an outage
        // with a long queue must not read and hash segment after segment to fail each.
        if (now < (this.pausedUntil.get(tier.name) ?? 0)) continue;
        const room = tier.concurrency - this.busy(tier.name);
        if (room <= 0) continue;
        for (const t of readyTransfers(this.deps.db, tier.name, now, room, this.busyKeys(tier.name))) this.launch(transferId(t), tier, () => this.transfer(t));
        for (const d of readyDiscards(this.deps.db, tier.name, now, room)) this.launch(`d\0${d.tier}\0${d.key}`, tier, () => this.discard(d));
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

  private launch(id: string, tier: TierConfig, work: () => Promise<void>): void {
    if (this.inFlight.has(id) || this.busy(tier.name) >= tier.concurrency) return;
    const done = work().finally(() => {
      this.inFlight.delete(id);
      this.soon();
    });
    this.inFlight.set(id, { tier: tier.name, done });
  }

  /** Transfers and removals under way in a tier. */
  private busy(tier: string): number {
    let n = 0;
    for (const w of this.inFlight.values()) if (w.tier === tier) n++;
    return n;
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
      if (due.length) db.$client.transaction(() => queueTransfers(db, due.map((r) => ({ id: r.id, tier: move.to, key: key(r), kind: "move" })), now))();
    }
    for (const tier of config.storage.tiers.filter((t) => t.copy)) {
      const cursorKey = `copy_backfill:${tier.name}`;
      const cursor = getMeta(db, cursorKey);
      if (cursor === "done") continue; // (asked first: counting a long queue is not free)
      const n = room(tier.name);
      if (n <= 0) continue;
      const rows = missingCopies(db, tier.name, cursor === undefined ? 0 : Number(cursor), n);
      db.$client.transaction(() => {
        queueTransfers(db, rows.map((r) => ({ id: r.id, tier: tier.name, key: key(r), kind: "copy" })), now);
        // New recordings are queued as they are stored: once the walk reaches the end, it is done.
        setMeta(db, cursorKey, rows.length < n ? "done" : String(rows.at(-1)!.rowid));
      })();
    }
  }

  private async transfer(t: Transfer): Promise<void> {
    const { db, targets, faults } = this.deps;
    const target = targets.get(t.tier)!;
    const counters = this.counters.get(t.tier)!;
    try {
      const src = transferSource(db, t.recording_id);
      if (src?.tier === t.tier) return dropTransfer(db, t); // already there
      // Gone, or moved on past where this move was to take it: never moved back.
      if (!src || (t.kind === "move" && !moveStillDue(this.deps.config.storage.tiers, src.tier, t.tier))) return abandonTransfer(db, t, this.nowS());
      const problem = target.problem();
      if (problem) throw new Error(problem);
      const bytes = await this.readSource(src);
      let digest: string | undefined; // MD5 costs more than the rest of an S3 upload: only when a tier asks
      const md5 = () => (digest ??= md5Hex(bytes));
      await this.pace(t.tier, bytes.length);
      await target.put(t.key, bytes, md5);
      await faults?.("after-upload", t);
      const bad = await target.verify(t.key, bytes, md5);
      if (bad) throw new Error(`tier ${t.tier}: ${t.key} failed verification (${bad}); the source is kept`);
      await faults?.("after-verify", t);
      this.verified.set(transferId(t), { t, src, bytes: bytes.length, md5: digest ?? null, at: this.nowS() });
      this.probed.delete(t.tier); // it works, whatever a probe said before
      counters.lastSuccessAt = this.nowS();
      counters.failingSince = undefined;
      counters.consecutive = 0;
      if (this.deps.config.record.commit_interval === 0) await this.commitVerified();
    } catch (e) {
      const message = (e as Error).message;
      failTransfer(db, t, this.nowS() + retryDelay(t.attempts + 1), message);
      this.failed(t.tier, counters, message);
    }
  }

  /** Asks every tier whether it can be used; what is wrong shows in status (and the log, once). */
  private async probeAll(): Promise<void> {
    await Promise.all(this.deps.config.storage.tiers.map(async ({ name }) => {
      const problem = await this.deps.targets.get(name)!.probe();
      if (problem && problem !== this.probed.get(name)) log.warn(problem);
      if (problem) this.probed.set(name, problem);
      else this.probed.delete(name);
    }));
  }

  /**
   * Verified copies are counted together, in one transaction, once the oldest has waited
   * record.commit_interval (as stored segments are indexed): a commit per copy would write
   * several database pages per segment (SD-card wear). Until then a crash only costs the
   * upload again. Sources of moves are removed after the commit.
   */
  private async commitVerified(): Promise<void> {
    const batch = [...this.verified.values()];
    if (!batch.length) return;
    const { db, faults } = this.deps;
    const now = this.nowS();
    const results = db.$client.transaction(() => batch.map((v) => commitTransfer(db, v.t, v.src, v.bytes, v.md5, now)))();
    for (const v of batch) this.verified.delete(transferId(v.t));
    for (const [i, v] of batch.entries()) {
      const { localLeft, counted } = results[i]!;
      const counters = this.counters.get(v.t.tier)!;
      if (counted) {
        counters[v.t.kind === "move" ? "moved" : "copied"]++;
        counters.bytes += v.bytes;
      }
      await faults?.("after-commit", v.t);
      try {
        if (localLeft) removeLocalFile(localLeft, this.deps.config.recordingsDir);
      } catch (e) {
        // The row points at the tier already; the next start's reconcile removes the file.
        log.warn(`cannot remove ${localLeft}, moved to tier ${v.t.tier}: ${(e as Error).message}`);
      }
      await faults?.("after-source-removed", v.t);
    }
  }

  /** Commits the verified copies once the oldest has waited record.commit_interval, or many wait. */
  private async commitIfDue(now: number): Promise<void> {
    let oldest = Infinity;
    for (const v of this.verified.values()) oldest = Math.min(oldest, v.at);
    if (now - oldest >= this.deps.config.record.commit_interval || this.verified.size >= MAX_UNCOMMITTED) await this.commitVerified();
  }

  private async readSource(src: { tier: string | null; path: string }): Promise<Uint8Array> {
    if (src.tier === null) return await Bun.file(src.path).bytes();
    const from = this.deps.targets.get(src.tier);
    if (!from) throw new Error(`the recording is in tier ${src.tier}, which is no longer configured`);
    return await from.read(src.path);
  }

  private async discard(d: Discard): Promise<void> {
    const { db, targets } = this.deps;
    const target = targets.get(d.tier)!;
    const counters = this.counters.get(d.tier)!;
    // Never remove what a row or a copy points at (a key used again), or what a queued transfer
    // is to write: that is no garbage (the transfer's end decides, db/tiers.ts).
    if (stillNeeded(db, d.tier, d.key, join(this.deps.config.recordingsDir, d.key))) return doneDiscard(db, d);
    // Being written again by a transfer whose recording went meanwhile: after it, not ready at once.
    if (this.inFlight.has(transferId(d)) || this.verified.has(transferId(d))) return postponeDiscard(db, d, this.nowS() + DISCARD_WAIT_S);
    try {
      await target.remove(d.key);
      doneDiscard(db, d);
      counters.discarded++;
    } catch (e) {
      failDiscard(db, d, this.nowS() + retryDelay(d.attempts + 1));
      this.failed(d.tier, counters, (e as Error).message);
    }
  }

  private failed(tier: string, counters: TierCounters, message: string): void {
    const now = this.nowS();
    counters.failures++;
    counters.consecutive++;
    counters.failingSince ??= now;
    this.pausedUntil.set(tier, now + Math.min(TIER_PAUSE_MAX_S, retryDelay(counters.consecutive)));
    // Logged when it starts failing or the reason changes, then at most every 10 minutes.
    if (message !== counters.lastError || now - (counters.lastErrorAt ?? 0) >= 600) {
      log.warn(message);
      counters.lastErrorAt = now;
    }
    counters.lastError = message;
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
      log.warn(`tier ${copy.tier}: cannot check the copy of ${copy.key} (${(e as Error).message}): keeping the local file`);
    }
    return false;
  }

  /** A tier's keys whose transfer is in flight or verified (not to be started again). */
  private busyKeys(tier: string): string[] {
    const keys: string[] = [];
    for (const v of this.verified.values()) if (v.t.tier === tier) keys.push(v.t.key);
    const prefix = `t\0${tier}\0`;
    for (const id of this.inFlight.keys()) if (id.startsWith(prefix)) keys.push(id.slice(prefix.length));
    return keys;
  }

  /** A tier's copies verified and waiting to be counted at the next commit. */
  awaitingCommit(tier: string): number {
    let n = 0;
    for (const v of this.verified.values()) if (v.t.tier === tier) n++;
    return n;
  }

  /** What health needs of each tier: how long it has failed, and whether footage waits for it. */
  healthStates(): { failingForS: number | null; backlog: boolean }[] {
    const now = this.nowS();
    return [...this.counters].map(([tier, c]) => ({
      failingForS: c.failingSince === undefined ? null : now - c.failingSince,
      backlog: hasPendingTransfers(this.deps.db, tier),
    }));
  }

  /** Each tier as status shows it: its queue, what it has done, and what is wrong with it. */
  status(): TierStatus[] {
    const now = this.nowS();
    return this.deps.config.storage.tiers.map((t) => {
      const c = this.counters.get(t.name)!;
      const q = tierQueueStats(this.deps.db, t.name);
      return {
        name: t.name, kind: t.target.kind, role: t.copy ? "copy" : "move", after_s: t.after ?? null,
        pending: q.pending, verified_awaiting_commit: this.awaitingCommit(t.name), oldest_pending_age_s: q.oldestQueuedAt === null ? null : Math.round(now - q.oldestQueuedAt),
        discards_pending: q.discards, moved: c.moved, copied: c.copied, bytes_moved: c.bytes, failures: c.failures, removed: c.discarded,
        failing_since: c.failingSince ?? null, last_error: c.lastError ?? q.lastError,
        problem: this.deps.targets.get(t.name)?.problem() ?? this.probed.get(t.name) ?? null,
      };
    });
  }

  /** Waits until `bytes` may go at the tier's max_rate (none: at once). */
  private async pace(tier: string, bytes: number): Promise<void> {
    const rate = this.deps.config.storage.tiers.find((t) => t.name === tier)?.maxRate;
    if (!rate) return;
    const nowMs = Date.now();
    const start = Math.max(nowMs, this.nextFreeAt.get(tier) ?? 0);
    this.nextFreeAt.set(tier, start + (bytes / rate) * 1000);
    if (start > nowMs) await Bun.sleep(start - nowMs);
  }
}
