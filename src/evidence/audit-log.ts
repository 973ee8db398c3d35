import { type AuditEntry, appendAudit } from "../db/audit.ts";
import type { Db } from "../db/open.ts";

// The keeper's audit log writer (docs/evidence.md#the-audit-log): entries gathered for a few
// seconds and written in one transaction, so a burst (a page opening several views) costs one
// commit; written at once at stop.

const BATCH_MS = 5_000;

export class AuditLog {
  private pending: AuditEntry[] = [];
  private timer?: Timer;
  private stopped = false;

  constructor(private readonly db: Db) {}

  record(entry: Omit<AuditEntry, "at">): void {
    this.pending.push({ ...entry, at: Date.now() / 1000 });
    if (this.stopped) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Writes what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    appendAudit(this.db, this.pending.splice(0));
  }

  stop(): void {
    this.stopped = true;
    this.flush();
  }
}
