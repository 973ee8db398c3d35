import type { Db } from "../db/open.ts";
import { tierQueueStats } from "../db/tiers.ts";
import type { TierLane } from "./lane.ts";

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

/** A tier as status shows it: its queue (read from SQLite), what it has done, and what is wrong with it. */
export function tierStatus(lane: TierLane, db: Db, now: number): TierStatus {
  const { config: t, counters: c } = lane;
  const q = tierQueueStats(db, t.name);
  return {
    name: t.name,
    kind: t.target.kind,
    role: t.copy ? "copy" : "move",
    after_s: t.after ?? null,
    pending: q.pending,
    verified_awaiting_commit: lane.verified.size,
    oldest_pending_age_s: q.oldestQueuedAt === null ? null : Math.round(now - q.oldestQueuedAt),
    discards_pending: q.discards,
    moved: c.moved,
    copied: c.copied,
    bytes_moved: c.bytes,
    failures: c.failures,
    removed: c.discarded,
    failing_since: c.failingSince ?? null,
    last_error: c.lastError ?? q.lastError,
    problem: lane.target.problem() ?? lane.probeProblem ?? null,
  };
}
