// Writes gathered into one transaction (docs/design.md#crash-safety): one commit for many rows
// writes far fewer database pages than a commit per row (SD-card wear). What is gathered is
// already safe elsewhere (a copy in place, a cache file kept) until its commit. Pure.

/** Rows committed in one transaction at most: more than this many waiting are committed at once. */
const COMMIT_BATCH = 200;

/**
 * Items waiting for their commit, by key, each with when it began to wait (epoch s). Due once the
 * oldest has waited the commit interval (record.commit_interval), once `max` wait, or at a stop.
 */
export class CommitBatch<T> {
  private readonly waiting = new Map<string, { item: T; at: number }>();

  add(key: string, item: T, at: number): void {
    this.waiting.set(key, { item, at });
  }

  has(key: string): boolean {
    return this.waiting.has(key);
  }

  delete(key: string): void {
    this.waiting.delete(key);
  }

  get size(): number {
    return this.waiting.size;
  }

  keys(): string[] {
    return [...this.waiting.keys()];
  }

  /** What waits, oldest first. */
  items(): T[] {
    return [...this.waiting.values()].map((w) => w.item);
  }

  /** Takes everything waiting (to commit now). */
  take(): T[] {
    const items = this.items();
    this.waiting.clear();
    return items;
  }

  get full(): boolean {
    return this.waiting.size >= COMMIT_BATCH;
  }

  /** Whether to commit at `now` (epoch s): the oldest waited `intervalS`, it is full, or camkeep stops. */
  due(now: number, intervalS: number, stopping = false): boolean {
    if (!this.waiting.size) return false;
    if (stopping || this.full) return true;
    let oldest = Infinity;
    for (const w of this.waiting.values()) oldest = Math.min(oldest, w.at);
    return now - oldest >= intervalS;
  }
}
