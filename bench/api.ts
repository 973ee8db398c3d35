/**
 * API latency on a large archive (issue 3): summary and one-hour list, through the real HTTP
 * server, on 8 cameras × 30 days of 10 s segments (2.07 M rows). Prints p50/p95; targets:
 * summary ≤ 100 ms, list of one hour ≤ 20 ms. Baseline: a 404 through the same auth and router on the same
 * server in the same run, to separate HTTP overhead from query time.
 *   node_modules/.bin/bun bench/api.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { parseConfig } from "../src/config/load.ts";
import { setLogLevel } from "../src/log/log.ts";
import { buildArchiveApart } from "./fixture.ts";

setLogLevel("warn");
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-api-"));
let t = performance.now();
const archive = buildArchiveApart(join(dir, "camkeep.db"));
console.log(`built ${archive.rows.toLocaleString()} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const config = parseConfig(`data_dir: ${dir}\napi: { listen: 127.0.0.1:0 }\ncameras: { ${archive.cameras.map((c) => `${c}: {}`).join(", ")} }\n`, join(dir, "c.yml"));
t = performance.now();
const app = await startApp(config);
console.log(`started (reconcile + totals) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
await app.maintainer.stop();

async function measure(label: string, runs: number, path: (i: number) => string) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = await fetch(`${app.url}${path(i)}`, { headers: { authorization: `Bearer ${app.token}` } });
    await res.arrayBuffer();
    if (res.status !== 200 && res.status !== 404) throw new Error(`${path(i)}: ${res.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
  console.log(`${label.padEnd(34)} p50 ${p(0.5).padStart(7)} ms   p95 ${p(0.95).padStart(7)} ms   (${runs} runs)`);
}

const cam = (i: number) => archive.cameras[i % archive.cameras.length];
await measure("baseline: unknown route (404)", 200, () => "/api/nothing");
await measure("summary (30 days, UTC)", 40, (i) => `/api/cameras/${cam(i)}/recordings/summary`);
await measure("summary (30 days, Europe/Berlin)", 40, (i) => `/api/cameras/${cam(i)}/recordings/summary?timezone=Europe/Berlin`);
await measure("list of one hour (360 rows)", 200, (i) => {
  const after = archive.start + ((i * 7919) % (29 * 24)) * 3600;
  return `/api/cameras/${cam(i)}/recordings?after=${after}&before=${after + 3600}`;
});
await measure("status", 40, () => "/api/status");
await app.stop();
rmSync(dir, { recursive: true, force: true }); // a 2 M-row database is half a gigabyte
