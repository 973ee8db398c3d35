/**
 * Start-up reconcile on a large archive (issue 15.5): 1 M files in storage, each with its row
 * (8 cameras, 10 s segments, about two weeks). Prints how long reconcile takes and the longest
 * time the event loop was blocked meanwhile (a 5 ms timer measures its own lateness): /healthz
 * must answer during reconcile. Target: no block over 100 ms.
 * Baseline, same run, same tree: a plain synchronous walk (readdirSync) — the least a walk
 * can cost, and what blocks the loop for its whole length.
 *   node_modules/.bin/bun bench/reconcile.ts [files]
 * The files are empty (reconcile compares names with rows; it probes only files without rows).
 */
import { Database } from "bun:sqlite";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../src/db/open.ts";
import { setLogLevel } from "../src/log/log.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { storagePath } from "../src/storage/layout.ts";
import { reconcileStorage } from "../src/storage/reconcile.ts";
import { claimVolume } from "../src/storage/volume.ts";

setLogLevel("warn");
const FILES = Number(process.argv[2] ?? 1_000_000);
const CAMERAS = 8;
// On tmpfs when there is one: creating a million files on this disk takes longer than the bench.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "camkeep-bench-reconcile-"));
const root = join(dir, "recordings");
const dbPath = join(dir, "camkeep.db");

let t = performance.now();
const fresh = openDb(dbPath); // schema through the real migrations
claimVolume(fresh, root, 0); // storage marked as this database's, as a first start does
fresh.$client.close(true);
const raw = new Database(dbPath);
raw.run("PRAGMA synchronous = OFF");
const insert = raw.prepare(
  "INSERT INTO recordings (id, camera, path, start_time, end_time, duration, motion, objects, segment_size, unjudged) VALUES (?, ?, ?, ?, ?, 10, 0, 0, 0, 0)",
);
const start = 1_790_000_000 - Math.ceil(FILES / CAMERAS) * 10;
const made = new Set<string>();
raw.transaction(() => {
  for (let i = 0; i < FILES; i++) {
    const camera = `cam${i % CAMERAS}`;
    const at = start + Math.floor(i / CAMERAS) * 10;
    const path = storagePath(root, camera, at);
    const folder = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    closeSync(openSync(path, "w"));
    insert.run(`${at}-${camera.padEnd(6, "x")}`, camera, path, at, at + 10);
  }
})();
raw.close();
console.log(
  `made ${FILES.toLocaleString()} files and rows in ${made.size.toLocaleString()} folders in ${((performance.now() - t) / 1000).toFixed(0)} s`,
);

// Baseline: the synchronous walk.
t = performance.now();
let seen = 0;
const walk = (d: string) => {
  for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : seen++;
};
walk(root);
const baselineMs = performance.now() - t;
console.log(
  `baseline: synchronous walk of ${seen.toLocaleString()} entries: ${baselineMs.toFixed(0)} ms, all of it with the event loop blocked`,
);

const db = openDb(dbPath);
let worst = 0;
let ticks = 0;
let due = performance.now() + 5;
const timer = setInterval(() => {
  const now = performance.now();
  worst = Math.max(worst, now - due);
  due = now + 5;
  ticks++;
}, 5);
t = performance.now();
const cpu0 = process.cpuUsage();
const report = await reconcileStorage(db, ffmpegEngine(), root);
const wallMs = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
clearInterval(timer);
console.log(
  `camkeep reconcile: ok=${report.ok}, ${report.rowsRemoved} rows removed, ${report.indexed} files indexed`,
);
console.log(
  `  wall ${(wallMs / 1000).toFixed(1)} s (${(wallMs / baselineMs).toFixed(1)}× the synchronous walk), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
);
console.log(
  `  longest event-loop block ${worst.toFixed(0)} ms over ${ticks.toLocaleString()} timer ticks (target ≤ 100 ms; the synchronous walk blocks ${baselineMs.toFixed(0)} ms)`,
);
db.$client.close(true);
rmSync(dir, { recursive: true, force: true });
