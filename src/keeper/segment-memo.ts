import type { MediaEngine, Probe } from "../media/engine.ts";
import type { CacheFile } from "./cache.ts";

/** What the keeper remembers of one cache segment between passes. */
interface Memo {
  /** The probe's answer about the content (ok or invalid), and the file's size:mtime it was for. */
  probe?: { stamp: string; answer: Probe };
  /** Failed probes or stores in a row. */
  attempts: number;
  /** Whether its motion was analysed (or could not be). */
  analysed: boolean;
}

/**
 * What the keeper remembers of each segment in the cache, by path: one entry per file, forgotten
 * with it (when it leaves the cache, or is stored, dropped or set aside), so it stays as small as
 * the cache.
 */
export class SegmentMemo {
  private readonly byPath = new Map<string, Memo>();

  private entry(path: string): Memo {
    let memo = this.byPath.get(path);
    if (!memo) this.byPath.set(path, (memo = { attempts: 0, analysed: false }));
    return memo;
  }

  /** Probes once per file content; a failed probe is not remembered, so it is tried again. */
  async probe(file: CacheFile, media: MediaEngine): Promise<Probe> {
    const stamp = `${file.size}:${file.mtimeMs}`;
    const known = this.byPath.get(file.path)?.probe;
    if (known?.stamp === stamp) return known.answer;
    const answer = await media.probeDuration(file.path);
    if (answer.kind !== "failed") this.entry(file.path).probe = { stamp, answer };
    return answer;
  }

  /** The last remembered probe of a file, if any. */
  probed(path: string): Probe | undefined {
    return this.byPath.get(path)?.probe?.answer;
  }

  /** True the first time it is asked for a file: its motion is to be analysed once. */
  firstAnalysis(path: string): boolean {
    const memo = this.entry(path);
    if (memo.analysed) return false;
    memo.analysed = true;
    return true;
  }

  /** Counts one more failed attempt at a file; returns how many in a row. */
  failedAttempt(path: string): number {
    return ++this.entry(path).attempts;
  }

  forget(path: string): void {
    this.byPath.delete(path);
  }

  /** Forgets every file not in `present` (the cache as the pass found it). */
  keepOnly(present: ReadonlySet<string>): void {
    for (const path of this.byPath.keys()) if (!present.has(path)) this.byPath.delete(path);
  }
}
