/**
 * Events first under a backlog (issue 34, docs/tiers.md#events-first): a keeper with a copy tier
 * on a real S3 server (s3rver, loopback) limited to `max_rate: 1MB`, an hour of continuous footage
 * (360 segments of 10 s, 640×360) already queued for it; then alerts, each heard as its segment
 * reaches the cache. Printed: for each alert, seconds from its segment being stored to its copy
 * verified in the bucket (target ≤ 30 s), and how much of the continuous hour was still waiting
 * (the baseline: in arrival order, the alert would wait for all of it).
 *   node_modules/.bin/bun bench/events-first.ts [ALERTS=3]
 */
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { parseConfig } from "../src/config/load.ts";
import { copyOnInsert } from "../src/tiers/target.ts";
import { indexLinkedFootage, startS3rver } from "./fixture.ts";

const ALERTS = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-events-first-"));
const s3 = await startS3rver(join(dir, "s3"), "camkeep");
const segment = join(dir, "segment.mp4");
const made = Bun.spawnSync(
  "ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=15:duration=10 -c:v libx264 -preset ultrafast -b:v 800k -g 15"
    .split(" ")
    .concat(segment),
);
if (made.exitCode !== 0) throw new Error(`ffmpeg: ${made.stderr}`);
const size = statSync(segment).size;

const app = await startApp(
  parseConfig(
    `data_dir: ${dir}
api: { listen: 127.0.0.1:0 }
record: { retain: { days: 30 }, commit_interval: 0, scan_interval: 1 }
motion: { enabled: false }
cameras: { cam: {} }
storage:
  tiers:
    - name: offsite
      s3: { endpoint: "${s3.endpoint}", bucket: camkeep, access_key_id: S3RVER, secret_access_key: S3RVER }
      copy: true
      max_rate: 1MB
`,
    join(dir, "camkeep.yml"),
  ),
);
try {
  // The continuous hour, stored and queued as the keeper stores footage (its copies queued at insert).
  const now = Math.floor(Date.now() / 1000);
  indexLinkedFootage(app.config.database, app.config.recordingsDir, segment, {
    t0: now - 2 * 3600,
    count: 360,
    copyTo: copyOnInsert(app.config),
  });
  console.log(
    `backlog: 360 continuous segments, ${((360 * size) / 1e6).toFixed(0)} MB at 1 MB/s (${((360 * size) / 1e6 / 60).toFixed(1)} min in arrival order)`,
  );
  const copied = (id: string) =>
    !!app.db.$client.query("SELECT 1 FROM copies WHERE recording_id = ?").get(id);
  const waiting = () =>
    (
      app.db.$client.query("SELECT count(*) AS n FROM transfers WHERE tier = 'offsite'").get() as {
        n: number;
      }
    ).n;
  const queued = performance.now();
  await Bun.sleep(5_000); // the tier busy with the backlog
  const latencies: number[] = [];
  for (let a = 0; a < ALERTS; a++) {
    const start = Math.floor(Date.now() / 1000) - 12;
    const res = await fetch(`${app.url}/api/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        camera: "cam",
        label: "person",
        start_time: start,
        end_time: start + 10,
        severity: "alert",
      }),
    });
    if (res.status !== 201) throw new Error(`the alert was refused: ${res.status}`);
    const d = new Date(start * 1000).toISOString();
    const name = `cam-${d.slice(0, 19).replace(/[-:T]/g, "")}.mp4`;
    mkdirSync(app.config.cacheDir, { recursive: true });
    linkSync(segment, join(app.config.cacheDir, name));
    let id: string | undefined;
    while (!id) {
      id = (
        app.db.$client
          .query("SELECT id FROM recordings WHERE camera = 'cam' AND start_time = ?")
          .get(start) as { id: string } | null
      )?.id;
      await Bun.sleep(20);
    }
    const stored = performance.now();
    while (!copied(id)) await Bun.sleep(50);
    const seconds = (performance.now() - stored) / 1000;
    latencies.push(seconds);
    console.log(
      `alert ${a + 1}, ${((performance.now() - queued) / 1000).toFixed(0)} s after the backlog was queued: stored → in the bucket, verified, in ${seconds.toFixed(1)} s (target ≤ 30 s); ${waiting()} continuous segments still waiting`,
    );
    await Bun.sleep(3_000);
  }
  console.log(`events first: worst ${Math.max(...latencies).toFixed(1)} s over ${ALERTS} alerts`);
} finally {
  await app.stop();
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
}
