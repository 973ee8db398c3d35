import { type Dirent, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/load.ts";
import { eventCameras, eventsNear, expireEvents, type HoldingEvent } from "../db/events.ts";
import { longestContinuousDays, widestPadding } from "../domain/retain.ts";
import type { Db } from "../db/open.ts";
import {
  cameraRecordingsPager,
  deleteCameraRuns,
  firstStartAtOrAfter,
  oldestRecordingStart,
  type ExpiryPageRow,
} from "../db/recordings.ts";
import { ArchiveTotals } from "../db/totals.ts";
import { logger } from "../log/log.ts";
import { MAX_SEGMENT_SECONDS } from "../domain/segment.ts";
import { parseStoragePath } from "../storage/layout.ts";
import {
  cameraPolicy,
  eventExpired,
  expireVerdict,
  removedCameraPolicy,
  type ExpiryPolicy,
  type ExpiryRule,
} from "./expiry-verdict.ts";
import { removeEmptyFolders } from "../storage/remove.ts";
import { deleteRecordingsAndFiles } from "./delete.ts";

// An expiry run: events past their retention, then recordings, leftovers and empty folders.

const log = logger("expire");

/** Rows read and deleted per batch: small enough that no write holds the database for long. */
export const EXPIRY_BATCH = 2_000;

export interface ExpiryReport {
  dryRun: boolean;
  startedAt: number; // epoch s
  durationMs: number;
  /** Recordings deleted (or, in a dry run, that would be), by camera and rule. */
  recordings: Record<string, Partial<Record<ExpiryRule, number>>>;
  eventsExpired: number;
  leftoverFiles: number;
  emptyFolders: number;
  /** Longest time one batch kept the event loop (and the database) to itself. */
  longestBatchMs: number;
}

export interface ExpiryDeps {
  config: Config;
  db: Db;
  now: number; // epoch s
  dryRun?: boolean;
}

/**
 * One expiry run (docs/retention.md): events past their retention first (so they stop holding
 * recordings), then recordings (oldest first, all cameras together), then leftover files,
 * then empty folders.
 * Batches yield to the event loop between them so the maintainer and the API keep running.
 */
export async function runExpiry(deps: ExpiryDeps): Promise<ExpiryReport> {
  const { config, db, now } = deps;
  const dryRun = deps.dryRun ?? false;
  const t0 = performance.now();
  const report: ExpiryReport = {
    dryRun,
    startedAt: now,
    durationMs: 0,
    recordings: {},
    eventsExpired: 0,
    leftoverFiles: 0,
    emptyFolders: 0,
    longestBatchMs: 0,
  };
  const touched = new Set<string>();

  // Events of removed cameras follow the global settings. Each rule sets the days of the
  // events of its severity: by label where it names one, else its own.
  for (const camera of new Set([...Object.keys(config.cameras), ...eventCameras(db)])) {
    for (const rule of (config.cameras[camera]?.record ?? config.defaults).events) {
      const labels = Object.keys(rule.objects);
      for (const label of labels)
        report.eventsExpired += expireEvents(
          db,
          camera,
          now - rule.objects[label]! * 86_400,
          label,
          [],
          rule.severity,
          dryRun,
        );
      report.eventsExpired += expireEvents(
        db,
        camera,
        now - rule.days * 86_400,
        undefined,
        labels,
        rule.severity,
        dryRun,
      );
    }
  }

  const jobs = [...new Set([...Object.keys(config.cameras), ...new ArchiveTotals(db).cameras()])].map(
    (camera): CameraExpiry => {
      const cam = config.cameras[camera]?.record;
      // The same rule the event update above applied, so that a dry run, which changed no event, agrees.
      const rules = (cam ?? config.defaults).events;
      return {
        camera,
        policy: cam ? cameraPolicy(cam, now) : removedCameraPolicy(config.defaults, now),
        holds: (e) => !eventExpired(e, rules, now),
        after: -Infinity,
      };
    },
  );
  await expireRecordings(deps, jobs, report, touched);

  report.leftoverFiles = removeLeftovers(deps, touched);
  if (!dryRun) report.emptyFolders = removeEmptyFolders(config.recordingsDir, touched);
  report.durationMs = performance.now() - t0;
  const total = Object.values(report.recordings).reduce(
    (n, byRule) => n + Object.values(byRule).reduce((a, b) => a + (b ?? 0), 0),
    0,
  );
  log.info(
    `${dryRun ? "dry run: would expire" : "expired"} ${total} recordings, ${report.eventsExpired} events, ${report.leftoverFiles} leftover files; ${report.emptyFolders} empty folders removed; ${Math.round(report.durationMs)} ms, longest batch ${report.longestBatchMs.toFixed(1)} ms`,
  );
  return report;
}

/** One camera's part of an expiry run: its rule, and how far its rows have been judged. */
interface CameraExpiry {
  camera: string;
  policy: ExpiryPolicy;
  holds: (e: HoldingEvent) => boolean;
  /** Start of the last row judged. */
  after: number;
}

/**
 * Rows one batch aims at; the time window of the next batch grows or shrinks towards it. Each
 * batch is a commit (a flush): fewer, larger ones cost less, while a writer waiting for one
 * (the maintainer) should not wait much over 100 ms here, a few times that on a Pi.
 */
const BATCH_ROWS = 4_000;

/**
 * Recordings, oldest first, in time windows across all cameras: a batch deletes every
 * camera's rows of one window in one write transaction. In time order, each page of the
 * indexes that follow time (start, id, path) is rewritten once per run rather than once per
 * camera. Each camera's rows are read through its own index only up to its own cutoff, so
 * footage still kept is not read again and again.
 */
async function expireRecordings(
  deps: ExpiryDeps,
  jobs: CameraExpiry[],
  report: ExpiryReport,
  touched: Set<string>,
) {
  const { db } = deps;
  const pageOf = cameraRecordingsPager(db);
  const lastCutoff = Math.max(...jobs.map((j) => j.policy.scanBefore));
  // One write transaction a batch: no row can come between the page reads and the deletions.
  const batch = db.$client.transaction((windowEnd: number) => {
    let rows = 0;
    for (const job of jobs) {
      const before = Math.min(windowEnd, job.policy.scanBefore); // only segments starting before the cutoff can end before it
      for (
        let page: ExpiryPageRow[];
        job.after < before && (page = pageOf(job.camera, job.after, before, EXPIRY_BATCH)).length;
      ) {
        judgeAndDelete(deps, job, page, report, touched);
        job.after = page.at(-1)!.start_time;
        rows += page.length;
        if (page.length < EXPIRY_BATCH) break;
      }
    }
    return rows;
  });
  let windowStart = oldestRecordingStart(db);
  for (let span = 3600; windowStart !== undefined && windowStart < lastCutoff; ) {
    const t = performance.now();
    const windowEnd = windowStart + span;
    const rows = batch.immediate(windowEnd);
    report.longestBatchMs = Math.max(report.longestBatchMs, performance.now() - t);
    span = Math.min(86_400, Math.max(60, (span * BATCH_ROWS) / Math.max(rows, BATCH_ROWS / 4)));
    // Past an empty stretch (footage kept only around old events), jump to the next row.
    windowStart = rows ? windowEnd : nextStartAfter(db, jobs, windowEnd);
    await Bun.sleep(0); // let the maintainer and the API in between batches
  }
}

function nextStartAfter(db: ExpiryDeps["db"], jobs: CameraExpiry[], t: number): number | undefined {
  const next = jobs
    .map((j) => (j.policy.scanBefore > t ? firstStartAtOrAfter(db, j.camera, t) : undefined))
    .filter((x) => x !== undefined);
  return next.length ? Math.min(...next) : undefined;
}

function judgeAndDelete(
  deps: ExpiryDeps,
  job: CameraExpiry,
  page: ExpiryPageRow[],
  report: ExpiryReport,
  touched: Set<string>,
) {
  const { db } = deps;
  const { camera, policy } = job;
  const events = eventsNear(
    db,
    camera,
    page[0]!.start_time,
    page.at(-1)!.end_time,
    widestPadding(policy.events ?? []),
  ).filter(job.holds);
  const doomed: ExpiryPageRow[] = [];
  for (const row of page) {
    const rule = expireVerdict(row, events, policy);
    if (!rule) continue;
    const counts = (report.recordings[camera] ??= {});
    counts[rule] = (counts[rule] ?? 0) + 1;
    doomed.push(row);
  }
  if (!deps.dryRun)
    deleteRecordingsAndFiles(doomed, touched, {
      rule: "expiry",
      db,
      deleteRows: (gone) => deleteCameraRuns(db, camera, page, new Set(gone)),
    });
}

/**
 * Files under storage that no row points to and that are older than every row (leftovers of
 * a crash or of an older install), deleted by the retention of the camera their folder names.
 * The layout is ordered by time, so only the folders up to the oldest row's hour are read:
 * the work is bounded by the leftovers, not by the archive.
 */
function removeLeftovers({ config, db, now, dryRun }: ExpiryDeps, touched: Set<string>): number {
  const root = config.recordingsDir;
  const oldest = oldestRecordingStart(db) ?? now;
  const oldestHour = new Date(Math.floor(oldest / 3600) * 3600 * 1000)
    .toISOString()
    .slice(0, 13)
    .replace("T", "/");
  let removed = 0;
  const visit = (dir: string, rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        // Day and hour folders sort by time: skip those after the oldest row's hour.
        if (relPath.length <= 13 && relPath > oldestHour.slice(0, relPath.length)) continue;
        visit(path, relPath);
        continue;
      }
      const where = e.isFile() ? parseStoragePath(root, path) : undefined;
      // Not ours, or not older than every row: a file that starts before the oldest row cannot be any row's file.
      if (!where || where.start >= oldest) continue;
      const days = longestContinuousDays(
        (config.cameras[where.camera]?.record ?? config.defaults).continuous,
      );
      if (where.start + MAX_SEGMENT_SECONDS >= now - days * 86_400) continue;
      removed++;
      if (dryRun) continue;
      try {
        unlinkSync(path);
        touched.add(dir);
      } catch (err) {
        log.warn(`cannot remove leftover ${path}: ${(err as Error).message}`);
      }
    }
  };
  visit(root, "");
  return removed;
}

/** A report for people: counts per camera and rule, never one line per recording. */
export function formatExpiry(r: ExpiryReport): string {
  const verb = r.dryRun ? "would delete" : "deleted";
  const lines = [
    `${r.dryRun ? "Dry run — nothing deleted." : "Expiry done."} (${Math.round(r.durationMs)} ms)`,
  ];
  const RULES: Record<ExpiryRule, string> = {
    retention: "older than the camera's retain.days, no event holds them",
    event_mode: "held only by events, but events.retain.mode rejects them (no motion/objects)",
    removed_camera: "camera no longer configured, older than the global retain.days",
  };
  const cameras = Object.keys(r.recordings).sort();
  if (!cameras.length) lines.push(`recordings: none to delete`);
  for (const camera of cameras) {
    for (const [rule, n] of Object.entries(r.recordings[camera]!) as [ExpiryRule, number][]) {
      lines.push(`${camera}: ${verb} ${n} recordings — ${RULES[rule]}`);
    }
  }
  lines.push(
    `events: ${r.eventsExpired} ${r.dryRun ? "would stop" : "stopped"} holding recordings (past events.retain days)`,
  );
  lines.push(`leftover files (no row, older than every row): ${r.leftoverFiles}`);
  if (!r.dryRun) lines.push(`empty folders removed: ${r.emptyFolders}`);
  return `${lines.join("\n")}\n`;
}
