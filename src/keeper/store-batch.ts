import type { Db } from "../db/open.ts";
import type { CopyOnInsert } from "../db/tiers.ts";
import { logger } from "../log/log.ts";
import { indexPlaced, type Placed, type StoreFaults } from "../storage/store.ts";
import type { CacheFile } from "./cache.ts";
import type { Verdict } from "./segment-verdict.ts";

// Segments placed in storage, indexed together in one transaction.

const log = logger("maintainer");

/** Rows committed in one transaction at most: more than this many placed segments are indexed at once. */
export const COMMIT_BATCH = 200;

export type StoreVerdict = Extract<Verdict, { action: "store" }>;

/** A segment placed in storage, waiting to be indexed; `atMs`: when it was placed. */
export interface PlacedSegment {
  file: CacheFile;
  placed: Placed;
  verdict: StoreVerdict;
  atMs: number;
}

/**
 * Segments placed in storage but not yet indexed. They are indexed together, in one transaction,
 * once the oldest has waited record.commit_interval (or many wait, or camkeep stops): one commit
 * for many rows writes far fewer database pages (SD-card wear). Their cache files stay until then
 * (docs/design.md#crash-safety).
 */
export class StoreBatch {
  private pending: PlacedSegment[] = [];

  constructor(
    private readonly deps: {
      db: Db;
      copyTo: CopyOnInsert;
      faults?: StoreFaults;
      /** Called for each segment once its row committed. */
      indexed: (p: PlacedSegment) => void;
      /** Called for each segment of a batch whose commit failed (they are placed again later). */
      failed: (p: PlacedSegment) => void;
    },
  ) {}

  add(p: PlacedSegment): void {
    this.pending.push(p);
  }

  /** The cache paths waiting: a pass does not take them up again. */
  paths(): Set<string> {
    return new Set(this.pending.map((p) => p.file.path));
  }

  get full(): boolean {
    return this.pending.length >= COMMIT_BATCH;
  }

  /** Whether the oldest waiting segment has waited `intervalS` (or camkeep stops). */
  due(nowMs: number, intervalS: number, stopping: boolean): boolean {
    const oldest = this.pending[0];
    return oldest !== undefined && (stopping || nowMs - oldest.atMs >= intervalS * 1000);
  }

  /** Indexes what was placed, in one transaction (steps 3–4 of a store). */
  commit(): void {
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    try {
      indexPlaced(
        this.deps.db,
        batch.map((p) => p.placed),
        this.deps.faults,
        this.deps.copyTo,
      );
    } catch (e) {
      // The copies stay in storage and the cache files in the cache: a later pass places them
      // again over the same names and indexes them then.
      log.error(
        `indexing ${batch.length} stored segments failed; retrying next pass: ${(e as Error).message}`,
      );
      for (const p of batch) this.deps.failed(p);
      return;
    }
    for (const p of batch) this.deps.indexed(p);
  }
}
