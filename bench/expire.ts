/**
 * Expiry on a large archive (issue 4): 8 cameras × 30 days of 10 s segments (2.07 M rows; the
 * files are absent, so each delete also pays a failing unlink), retain 7 days, so 1.57 M go.
 * Prints wall and CPU time, peak RSS, and the longest stall a maintainer would see: a
 * concurrent writer inserts a row every 20 ms and reports its worst latency.
 * Baseline, same run: one raw `DELETE … WHERE end_time < cutoff` on a copy of the database.
 * Targets (issue 15): ≤ 1.5× the raw DELETE, ≤ 80 MB peak RSS, no writer stall over 250 ms.
 *   node_modules/.bin/bun bench/expire.ts
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExpiry } from "../src/cleanup/expire.ts";
import { parseConfig } from "../src/config/load.ts";
import { openDb } from "../src/db/open.ts";
import { setLogLevel } from "../src/log/log.ts";
import { buildArchiveApart } from "./fixture.ts";

setLogLevel("warn");
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-expire-"));
const dbPath = join(dir, "camkeep.db");
const archive = buildArchiveApart(dbPath);
const cutoff = archive.now - 7 * 86_400;
console.log(`archive: ${archive.rows.toLocaleString()} rows, ${archive.cameras.length} cameras, 30 days`);

// Baseline: the least SQLite can do, one statement, no files, no events; in its own process
// so that its one huge transaction does not weigh on this one's memory.
copyFileSync(dbPath, join(dir, "copy.db"));
const baseline = Bun.spawnSync([
  process.execPath,
  "-e",
  `
  const { Database } = require("bun:sqlite");
  const db = new Database(${JSON.stringify(join(dir, "copy.db"))});
  const t = performance.now();
  const n = db.run("DELETE FROM recordings WHERE end_time < ?", [${cutoff}]).changes;
  console.log(JSON.stringify({ n, ms: performance.now() - t }));
`,
]);
const { n: gone, ms: baselineMs } = JSON.parse(baseline.stdout.toString()) as { n: number; ms: number };
console.log(`baseline: raw DELETE of ${gone.toLocaleString()} rows: ${(baselineMs / 1000).toFixed(2)} s`);
// The floor of an expiry that removes footage: the rows' paths read, the rows deleted, each
// file unlinked (absent here, as in the run below) — the bare DELETE plus what no expiry can skip.
copyFileSync(dbPath, join(dir, "floor.db"));
const floorRun = Bun.spawnSync([
  process.execPath,
  "-e",
  `
  const { Database } = require("bun:sqlite");
  const { unlinkSync } = require("node:fs");
  const db = new Database(${JSON.stringify(join(dir, "floor.db"))});
  const t = performance.now();
  const paths = db.query("SELECT path FROM recordings WHERE end_time < ?").values(${cutoff});
  db.run("DELETE FROM recordings WHERE end_time < ?", [${cutoff}]);
  for (const [p] of paths) { try { unlinkSync(p); } catch {} }
  console.log(JSON.stringify({ ms: performance.now() - t }));
`,
]);
const { ms: floorMs } = JSON.parse(floorRun.stdout.toString()) as { ms: number };
console.log(
  `floor: the same rows' paths read, the DELETE, every file unlinked: ${(floorMs / 1000).toFixed(2)} s (${(floorMs / baselineMs).toFixed(2)}× the raw DELETE)`,
);

const config = parseConfig(
  `data_dir: ${dir}\nrecord: { retain: { days: 7 }, events: { retain: { default: 7, mode: motion } } }\ncameras: { ${archive.cameras.map((c) => `${c}: {}`).join(", ")} }\n`,
  join(dir, "c.yml"),
);
const db = openDb(dbPath);
const rssBefore = process.memoryUsage().rss;

// A stand-in maintainer: one small write every 20 ms, timing each from when it was due.
let worstStallMs = 0;
let writes = 0;
const writer = openDb(dbPath);
const insert = writer.$client.prepare(
  "INSERT INTO health_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
);
let due = performance.now() + 20;
const timer = setInterval(() => {
  const start = performance.now();
  insert.run(start);
  worstStallMs = Math.max(worstStallMs, performance.now() - due);
  due = performance.now() + 20;
  writes++;
}, 20);

const cpu0 = process.cpuUsage();
const t = performance.now();
const report = await runExpiry({ config, db, now: archive.now });
const wallMs = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
clearInterval(timer);
const deleted = Object.values(report.recordings).reduce(
  (n, r) => n + Object.values(r).reduce((a, b) => a + (b ?? 0), 0),
  0,
);
const status = readFileSync("/proc/self/status", "utf8");
const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) * 1024;
const hwm = kb("VmHWM");

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
console.log(
  `camkeep expiry: ${deleted.toLocaleString()} recordings, ${report.eventsExpired.toLocaleString()} events expired`,
);
console.log(
  `  wall ${(wallMs / 1000).toFixed(2)} s (${(wallMs / baselineMs).toFixed(1)}× the raw DELETE, ${(wallMs / floorMs).toFixed(2)}× the floor), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`,
);
console.log(
  `  peak RSS ${mb(hwm)} (whole process; ${mb(rssBefore)} before the run); at the end ${mb(kb("RssAnon"))} private + ${mb(kb("RssFile"))} file-backed (the runtime's own code pages)`,
);
console.log(
  `  longest batch ${report.longestBatchMs.toFixed(0)} ms; worst stall seen by the concurrent writer ${worstStallMs.toFixed(0)} ms over ${writes} writes`,
);
db.$client.close(true);
writer.$client.close(true);
rmSync(dir, { recursive: true, force: true }); // a 2 M-row database is half a gigabyte
