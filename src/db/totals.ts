import type { Config } from "../config/load.ts";
import type { Db } from "./open.ts";

// Per-camera totals of what is kept (segments, bytes, seconds), read from the database.

export interface CameraTotals {
  segments: number;
  bytes: number;
  seconds: number;
}

const NONE: CameraTotals = { segments: 0, bytes: 0, seconds: 0 };

/**
 * What the archive holds per camera: table camera_totals, which every insert and delete of
 * recordings keeps exact in its own transaction (db/rollups.ts). Read at each use — one row a
 * camera, so status and metrics never scan the archive — and never remembered: a decision that
 * deletes must see rows another process (`camkeep expire`) deleted a moment ago.
 */
/** Every camera worth reporting: configured ones, and removed ones that still have footage. */
export function knownCameras({
  config,
  totals,
}: {
  config: Pick<Config, "cameras">;
  totals: ArchiveTotals;
}): string[] {
  return [...new Set([...Object.keys(config.cameras), ...totals.cameras()])].sort();
}

export class ArchiveTotals {
  constructor(private readonly db: Db) {}

  camera(name: string): CameraTotals {
    const row = this.db.$client
      .query<{ segments: number; bytes: number; ms: number }, [string]>(
        "SELECT segments, bytes, duration_ms AS ms FROM camera_totals WHERE camera = ?",
      )
      .get(name);
    return row ? { segments: row.segments, bytes: row.bytes, seconds: row.ms / 1000 } : NONE;
  }

  cameras(): string[] {
    return this.db.$client
      .query<{ camera: string }, []>("SELECT camera FROM camera_totals ORDER BY camera")
      .all()
      .map((r) => r.camera);
  }

  get bytes(): number {
    return (
      this.db.$client.query<{ b: number | null }, []>("SELECT sum(bytes) AS b FROM camera_totals").get()?.b ??
      0
    );
  }
}
