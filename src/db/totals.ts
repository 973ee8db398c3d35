import { count, sum } from "drizzle-orm";
import type { Db } from "./open.ts";
import { recordings } from "./schema.ts";

// Per-camera totals of what is kept (segments, bytes, seconds), kept in memory.

export interface CameraTotals {
  segments: number;
  bytes: number;
  seconds: number;
}

/**
 * What the archive holds per camera, summed once at start and then kept up to date by every
 * store and delete, so status and metrics never scan the archive.
 */
export class ArchiveTotals {
  private readonly byCamera = new Map<string, CameraTotals>();

  static load(db: Db): ArchiveTotals {
    const t = new ArchiveTotals();
    t.reload(db);
    return t;
  }

  /** Sums the archive again (after a reconcile changed rows behind our back). */
  reload(db: Db): void {
    this.byCamera.clear();
    const rows = db
      .select({
        camera: recordings.camera,
        segments: count(),
        bytes: sum(recordings.segment_size),
        seconds: sum(recordings.duration),
      })
      .from(recordings)
      .groupBy(recordings.camera)
      .all();
    for (const r of rows)
      this.byCamera.set(r.camera, {
        segments: r.segments,
        bytes: Number(r.bytes ?? 0),
        seconds: Number(r.seconds ?? 0),
      });
  }

  add(camera: string, bytes: number, seconds: number, segments = 1): void {
    const t = this.byCamera.get(camera) ?? { segments: 0, bytes: 0, seconds: 0 };
    t.segments += segments;
    t.bytes += bytes;
    t.seconds += seconds;
    this.byCamera.set(camera, t);
  }

  remove(camera: string, bytes: number, seconds: number, segments = 1): void {
    this.add(camera, -bytes, -seconds, -segments);
  }

  camera(name: string): CameraTotals {
    return this.byCamera.get(name) ?? { segments: 0, bytes: 0, seconds: 0 };
  }

  cameras(): string[] {
    return [...this.byCamera.keys()];
  }

  get bytes(): number {
    let b = 0;
    for (const t of this.byCamera.values()) b += t.bytes;
    return b;
  }
}
