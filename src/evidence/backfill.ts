import { setRecordingHash, unhashedCount, unhashedRecordings } from "../db/evidence.ts";
import type { Db } from "../db/open.ts";
import { logger } from "../log/log.ts";
import type { FootageLocator } from "../tiers/footage.ts";
import { hashAtRate } from "./rated-hash.ts";

// Hashing footage stored before hashing existed (docs/evidence.md#hashes-at-store): once, in the
// background, oldest first, at a bounded rate wherever the footage lives.

const log = logger("evidence");
const BATCH = 16;

export class HashBackfill {
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly footage: FootageLocator,
    /** Bytes a second read at most. */
    private readonly rate: number,
  ) {}

  start(): void {
    if (this.abort.signal.aborted || this.running) return;
    this.running = this.run().catch((e) =>
      log.error(`hashing older footage stopped: ${(e as Error).message}`),
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Stored segments without a hash yet (an index of those alone: nothing once done). */
  left(): number {
    return unhashedCount(this.db);
  }

  /** One pass over what has no hash; what cannot be read now is left for the next start. */
  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let after = Number.NEGATIVE_INFINITY;
    let hashed = 0;
    let unreachable = 0;
    for (;;) {
      const rows = unhashedRecordings(this.db, after, BATCH);
      if (!rows.length || signal.aborted) break;
      for (const row of rows) {
        after = row.start_time;
        if (signal.aborted) break;
        const bytes = await this.footage.bytes(row);
        const sha256 =
          bytes && (await hashAtRate(await bytes.stream(0, row.segment_size), this.rate, signal));
        if (sha256) {
          setRecordingHash(this.db, row.id, sha256);
          hashed++;
        } else if (!signal.aborted) unreachable++;
      }
    }
    if (hashed || unreachable)
      log.info(
        `hashed ${hashed} segments stored before hashing existed${unreachable ? `; ${unreachable} could not be read (tried again at the next start)` : ""}`,
      );
  }
}
