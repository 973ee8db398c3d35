import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import { cameraRecordingsPager, deleteCameraRuns } from "../db/recordings.ts";
import { ArchiveTotals } from "../db/totals.ts";
import { logger } from "../log/log.ts";
import { removeEmptyFolders } from "../storage/remove.ts";
import { deleteRecordingsAndFiles } from "./delete.ts";
import { judgeHolds } from "./holds.ts";
import { pickForQuota } from "./quota-verdict.ts";

// A quota run: each camera over record.max_size loses its oldest footage, by the quota rule.

const log = logger("quota");
const PAGE = 2_000;

export interface QuotaReport {
  camera: string;
  quota: number;
  /** Recordings deleted (or, in a dry run, that would be). */
  deleted: number;
  freedBytes: number;
  /** Of those, how many by each rule: footage no event holds, footage events hold. */
  byHold: { none: number; event: number };
  /** Bytes still over the quota because events retained indefinitely hold them. */
  heldOver: number;
}

/**
 * Brings every camera with record.max_size back under it (docs/tiers.md): its oldest footage that
 * no event holds first, over all its footage, then its oldest event footage; footage under an
 * event retained indefinitely stays and is reported. Pages of rows, one transaction each,
 * with the event loop free between them.
 */
export async function enforceQuotas(
  config: Config,
  db: Db,
  opts: { dryRun?: boolean } = {},
): Promise<QuotaReport[]> {
  const reports: QuotaReport[] = [];
  // Read at every step, never remembered: another process may have deleted rows since.
  const totals = new ArchiveTotals(db);
  const pageOf = cameraRecordingsPager(db);
  for (const [camera, { record: cam }] of Object.entries(config.cameras)) {
    const quota = cam.max_size;
    if (quota === undefined || totals.camera(camera).bytes <= quota) continue;
    const report: QuotaReport = {
      camera,
      quota,
      deleted: 0,
      freedBytes: 0,
      byHold: { none: 0, event: 0 },
      heldOver: 0,
    };
    const touched = new Set<string>();
    // A dry run deletes nothing: what it would free is counted off the camera's bytes instead.
    const over = () => totals.camera(camera).bytes - report.freedBytes * (opts.dryRun ? 1 : 0) - quota;
    for (const hold of ["none", "event"] as const) {
      for (let after = -Infinity; over() > 0; ) {
        const done = db.$client
          .transaction(() => {
            const page = pageOf(camera, after, Infinity, PAGE);
            if (!page.length) return true;
            after = page.at(-1)!.start_time;
            const judged = judgeHolds(config, db, page);
            const doomed = pickForQuota(judged, over(), hold);
            const result = opts.dryRun
              ? { rows: doomed.length, freedBytes: doomed.reduce((n, r) => n + r.segment_size, 0) }
              : deleteRecordingsAndFiles(doomed, touched, {
                  rule: "quota",
                  db,
                  deleteRows: (gone) => deleteCameraRuns(db, camera, judged, new Set(gone)),
                });
            report.deleted += result.rows;
            report.freedBytes += result.freedBytes;
            report.byHold[hold] += result.rows;
            return false;
          })
          .immediate();
        if (done) break;
        await Bun.sleep(0);
      }
    }
    removeEmptyFolders(config.recordingsDir, touched);
    report.heldOver = Math.max(0, over());
    reports.push(report);
    if (opts.dryRun) continue;
    if (report.deleted)
      log.warn(
        `${camera}: over its quota of ${quota} bytes: deleted its ${report.deleted} oldest recordings`,
      );
    if (report.heldOver)
      log.warn(
        `${camera}: still ${report.heldOver} bytes over its quota, held by events retained indefinitely`,
      );
  }
  return reports;
}

/** A quota run's report for people: per camera and rule, never one line per recording. */
export function formatQuotas(reports: readonly QuotaReport[], dryRun: boolean): string {
  const verb = dryRun ? "would delete" : "deleted";
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const lines = reports.length ? [] : ["quotas (record.max_size): every camera is within its quota"];
  for (const r of reports) {
    const rule = `over its quota of ${mb(r.quota)} (record.max_size)`;
    if (r.byHold.none)
      lines.push(
        `${r.camera}: ${verb} ${r.byHold.none} recordings — ${rule}, its oldest footage no event holds`,
      );
    if (r.byHold.event)
      lines.push(`${r.camera}: ${verb} ${r.byHold.event} recordings — ${rule}, its oldest event footage`);
    if (r.deleted) lines.push(`${r.camera}: ${dryRun ? "would free" : "freed"} ${mb(r.freedBytes)}`);
    if (r.heldOver)
      lines.push(`${r.camera}: ${mb(r.heldOver)} would stay over its quota, held by events kept forever`);
  }
  return `${lines.join("\n")}\n`;
}
