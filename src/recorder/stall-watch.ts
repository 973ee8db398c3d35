import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseSegmentName } from "../keeper/segment-name.ts";

// The recorder's watchdog (docs/recorders.md): when its camera's newest segment in the cache was
// written, looked at on a timer — never by a status read — and what that says.

/** How often the cache is looked at (at most; a short watchdog limit looks more often). */
const LOOK_EVERY_MS = 2_000;

export class StallWatch {
  /** When the camera's newest segment was last written (epoch ms; 0: none yet), at the last look. */
  newest = 0;
  /** No new segment for longer than the limit, at the last look; since when (epoch s). */
  stalled = false;
  stalledSince: number | null = null;
  /** Times a running ffmpeg went the limit without writing (each was restarted). */
  stalls = 0;

  constructor(
    private readonly camera: string,
    private readonly cacheDir: string,
    readonly limitMs: number,
  ) {}

  /** How often to look. */
  get everyMs(): number {
    return Math.min(LOOK_EVERY_MS, this.limitMs / 4);
  }

  /**
   * Looks at the cache now. Stalled while nothing was written for longer than the limit since the
   * recorder first started (a restart does not hide a dead source); true when the running ffmpeg
   * has itself gone that long without writing, and must be restarted.
   */
  look(now: number, firstStartedAt: number, runStartedAt: number, running: boolean): boolean {
    this.newest = this.newestWrite();
    const since = Math.max(this.newest, firstStartedAt);
    this.stalled = now - since > this.limitMs;
    this.stalledSince = this.stalled ? (this.stalledSince ?? since / 1000) : null;
    const idle = now - Math.max(this.newest, runStartedAt);
    if (!running || idle <= this.limitMs) return false;
    this.stalls++;
    return true;
  }

  /** Milliseconds the running ffmpeg went without writing, at the last look. */
  idleMs(now: number, runStartedAt: number): number {
    return now - Math.max(this.newest, runStartedAt);
  }

  private newestWrite(): number {
    let newest = 0;
    for (const name of readdirSync(this.cacheDir)) {
      const parsed = parseSegmentName(name);
      if (parsed.kind !== "segment" || parsed.camera !== this.camera) continue;
      const st = lstatSync(join(this.cacheDir, name), { throwIfNoEntry: false });
      if (st?.isFile()) newest = Math.max(newest, st.mtimeMs);
    }
    return newest;
  }
}
