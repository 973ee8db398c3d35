/**
 * API latency on a large archive (issues 3 and 18): summary and one-hour list, through the real
 * HTTP server, on 8 cameras × 30 days and × 90 days of 10 s segments (2.07 M and 6.2 M rows).
 * Prints p50/p95. Target (issue 18): summary p50 ≤ 5× the one-hour list p50 in the same run, at
 * both sizes: the summary reads the quarter-hour rollups, not the segments.
 * Baseline: a 404 through the same auth and router on the same server, to separate HTTP
 * overhead from query time.
 *   node_modules/.bin/bun bench/api.ts [days...]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { parseConfig } from "../src/config/load.ts";
import { setLogLevel } from "../src/log/log.ts";
import { buildArchiveApart } from "./fixture.ts";

setLogLevel("warn");
for (const days of process.argv.slice(2).length ? process.argv.slice(2).map(Number) : [30, 90]) {
  const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-api-"));
  let t = performance.now();
  const archive = buildArchiveApart(join(dir, "camkeep.db"), days);
  console.log(
    `\n${days} days: built ${archive.rows.toLocaleString()} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const config = parseConfig(
    `data_dir: ${dir}\napi: { listen: 127.0.0.1:0 }\ncameras: { ${archive.cameras.map((c) => `${c}: {}`).join(", ")} }\n`,
    join(dir, "c.yml"),
  );
  t = performance.now();
  const app = await startApp(config);
  console.log(`started (reconcile + totals) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await app.maintainer.stop();

  const p50s: Record<string, number> = {};
  const measure = async (label: string, runs: number, path: (i: number) => string) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const res = await fetch(`${app.url}${path(i)}`, { headers: { authorization: `Bearer ${app.token}` } });
      await res.arrayBuffer();
      if (res.status !== 200 && res.status !== 404) throw new Error(`${path(i)}: ${res.status}`);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    p50s[label] = at(0.5);
    console.log(
      `${label.padEnd(36)} p50 ${at(0.5).toFixed(1).padStart(7)} ms   p95 ${at(0.95).toFixed(1).padStart(7)} ms   (${runs} runs)`,
    );
  };
  const cam = (i: number) => archive.cameras[i % archive.cameras.length];
  await measure("baseline: unknown route (404)", 200, () => "/api/nothing");
  await measure(`summary (${days} days, UTC)`, 40, (i) => `/api/cameras/${cam(i)}/recordings/summary`);
  await measure(
    `summary (${days} days, Asia/Kolkata)`,
    40,
    (i) => `/api/cameras/${cam(i)}/recordings/summary?timezone=Asia/Kolkata`,
  );
  await measure("list of one hour (360 rows)", 200, (i) => {
    const after = archive.start + ((i * 7919) % ((days - 1) * 24)) * 3600;
    return `/api/cameras/${cam(i)}/recordings?after=${after}&before=${after + 3600}`;
  });
  await measure("status", 40, () => "/api/status");
  const ratio = p50s[`summary (${days} days, UTC)`]! / p50s["list of one hour (360 rows)"]!;
  console.log(`summary / one-hour list, p50: ${ratio.toFixed(1)}× (target ≤ 5×)`);
  await app.stop();
  rmSync(dir, { recursive: true, force: true }); // millions of rows: gigabytes
}
