import { Cron } from "croner";
import { renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../config/load.ts";
import { getMeta, setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import { deleteRecordingsByRowid } from "../db/recordings.ts";
import { copiesOf, localHashedAfter, type ScrubRow } from "../db/scrub.ts";
import { noteRuleDeletions } from "../db/seals.ts";
import { logger } from "../log/log.ts";
import { fsyncDir, fsyncPath } from "../storage/durable.ts";
import { fileRange } from "../storage/file-range.ts";
import { tempPathFor } from "../storage/layout.ts";
import { quarantineFile } from "../storage/quarantine.ts";
import type { TierTarget } from "../tiers/target.ts";
import { hashAtRate } from "./rated-hash.ts";

// The scrub (docs/evidence.md#the-scrub): stored footage hashed again against the index, at a
// bounded rate, on a schedule. A damaged segment is replaced from a tier copy whose hash matches,
// else quarantined and its row removed (noted as the scrub's doing): never kept as good.

const log = logger("scrub");
const BATCH = 64;
const CURSOR = "scrub_cursor";

/** What the scrub has found; `damaged` is what it could not repair (quarantined). */
export interface ScrubReport {
  checked: number;
  bytes: number;
  mismatches: number;
  repaired: number;
  quarantined: number;
  /** The first few damaged segments, named. */
  found: string[];
}

const emptyReport = (): ScrubReport => ({
  checked: 0,
  bytes: 0,
  mismatches: 0,
  repaired: 0,
  quarantined: 0,
  found: [],
});

export interface ScrubDeps {
  config: Pick<Config, "evidence" | "dataDir">;
  db: Db;
  tiers: ReadonlyMap<string, TierTarget>;
  /** Why nothing may be written to storage now (unmounted, foreign), or undefined. */
  storageProblem: () => string | undefined;
}

export class Scrub {
  private readonly abort = new AbortController();
  private job?: Cron;
  private running?: Promise<ScrubReport | undefined>;
  /** Since start: every run's findings added up, and the last run's end (epoch seconds). */
  readonly total: ScrubReport = emptyReport();
  lastRunEnded?: number;

  constructor(private readonly deps: ScrubDeps) {}

  start(): void {
    if (this.abort.signal.aborted) return;
    this.job = new Cron(this.deps.config.evidence.scrubAt, { protect: true }, () => void this.run());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.job?.stop();
    await this.running;
  }

  /** A run from where the last one stopped to the end of the archive; one at a time. */
  run(rate = this.deps.config.evidence.scrubRate): Promise<ScrubReport | undefined> {
    this.running ??= this.scrub(rate).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async scrub(rate: number): Promise<ScrubReport | undefined> {
    const { db } = this.deps;
    const signal = this.abort.signal;
    const report = emptyReport();
    let [after, afterId] = JSON.parse(getMeta(db, CURSOR) ?? '[-1e12, ""]') as [number, string];
    for (;;) {
      const rows = localHashedAfter(db, after, afterId, BATCH);
      if (!rows.length) {
        [after, afterId] = [-1e12, ""]; // the end reached: the next run starts over
        break;
      }
      for (const row of rows) {
        if (signal.aborted) break;
        const sha256 = await hashAtRate(fileRange(row.path, 0, row.segment_size), rate, signal);
        if (signal.aborted) break;
        report.checked++;
        report.bytes += row.segment_size;
        [after, afterId] = [row.start_time, row.id];
        if (sha256 !== row.sha256) await this.damaged(row, sha256, report);
      }
      setMeta(db, CURSOR, JSON.stringify([after, afterId]));
      if (signal.aborted) return undefined;
    }
    setMeta(db, CURSOR, JSON.stringify([after, afterId]));
    for (const k of ["checked", "bytes", "mismatches", "repaired", "quarantined"] as const)
      this.total[k] += report[k];
    this.total.found = [...this.total.found, ...report.found].slice(-20);
    this.lastRunEnded = Date.now() / 1000;
    log.info(
      `scrub: ${report.checked} segments (${(report.bytes / 1e6).toFixed(0)} MB) hashed again; ${report.mismatches} damaged, ${report.repaired} repaired from a tier copy, ${report.quarantined} quarantined`,
    );
    return report;
  }

  /** A stored file whose bytes are not the ones hashed when it was stored. */
  private async damaged(row: ScrubRow, actual: string | undefined, report: ScrubReport): Promise<void> {
    const { db, config } = this.deps;
    report.mismatches++;
    const what = `${row.camera} ${new Date(row.start_time * 1000).toISOString()} (${row.path})`;
    if (report.found.length < 20) report.found.push(what);
    const problem = this.deps.storageProblem();
    if (problem) {
      log.error(`scrub: ${what} does not match its hash; left as it is (${problem})`);
      return;
    }
    for (const copy of copiesOf(db, row.id)) {
      const target = this.deps.tiers.get(copy.tier);
      if (!target || target.problem()) continue;
      const bytes = await target
        .stream(copy.key, 0, row.segment_size)
        .then((s) => Bun.readableStreamToBytes(s))
        .catch(() => undefined);
      if (!bytes || new Bun.CryptoHasher("sha256").update(bytes).digest("hex") !== row.sha256) continue;
      const temp = tempPathFor(row.path);
      writeFileSync(temp, bytes);
      fsyncPath(temp);
      renameSync(temp, row.path);
      fsyncDir(dirname(row.path));
      report.repaired++;
      log.warn(
        `scrub: ${what} was damaged (SHA-256 ${actual ?? "unreadable"}); restored from tier ${copy.tier}`,
      );
      return;
    }
    let aside: string;
    try {
      aside = quarantineFile(row.path, config.dataDir);
    } catch (e) {
      log.error(`scrub: ${what} is damaged and could not be quarantined: ${(e as Error).message}`);
      return;
    }
    deleteRecordingsByRowid(db, [row]);
    noteRuleDeletions(db, "scrub (damaged, quarantined)", [row], Date.now() / 1000);
    report.quarantined++;
    log.error(
      `scrub: ${what} is damaged (SHA-256 ${actual ?? "unreadable"}, stored as ${row.sha256}) and no tier holds a good copy: moved to ${aside}, its row removed`,
    );
  }
}
