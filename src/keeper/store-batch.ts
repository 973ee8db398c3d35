import type { Db } from "../db/open.ts";
import type { CopyOnInsert } from "../db/tiers.ts";
import { CommitBatch } from "../domain/commit-batch.ts";
import { logger } from "../log/log.ts";
import { indexPlaced, type Placed, type StoreFaults } from "../storage/store.ts";
import type { CacheFile } from "./cache.ts";
import type { Verdict } from "./segment-verdict.ts";

// Segments placed in storage, indexed together in one transaction.

const log = logger("maintainer");

export type StoreVerdict = Extract<Verdict, { action: "store" }>;

/** A segment placed in storage, waiting to be indexed; `atMs`: when it was placed. */
export interface PlacedSegment {
  file: CacheFile;
  placed: Placed;
  verdict: StoreVerdict;
  atMs: number;
}

/**
 * Segments placed in storage but not yet indexed, by cache path: indexed together, in one
 * transaction, when their CommitBatch is due. Their cache files stay until then
 * (docs/design.md#crash-safety).
 */
export class StoreBatch {
  private readonly pending = new CommitBatch<PlacedSegment>();

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
    this.pending.add(p.file.path, p, p.atMs / 1000);
  }

  /** The cache paths waiting: a pass does not take them up again. */
  paths(): Set<string> {
    return new Set(this.pending.keys());
  }

  get full(): boolean {
    return this.pending.full;
  }

  /** Whether the oldest waiting segment has waited `intervalS` (or camkeep stops). */
  due(nowMs: number, intervalS: number, stopping: boolean): boolean {
    return this.pending.due(nowMs / 1000, intervalS, stopping);
  }

  /** Indexes what was placed, in one transaction (steps 3–4 of a store). */
  commit(): void {
    const batch = this.pending.take();
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
