/**
 * Storage people can plan with (issue 37), one run:
 *   (1) the forecast's cost per status request, 8 cameras with 90 days of rollups: the status
 *       request that computes it (once a minute) against the same request served from its cache
 *       (target: ≤ +10 % of a status request);
 *   (2) a time-lapse of HOURS of 10 s 1080p segments at 1000×: first byte and camkeep's CPU,
 *       against ffmpeg taking a key frame every 40 s of the same files and encoding them (select,
 *       libx264 ultrafast), the way it is done without camkeep.
 *   node_modules/.bin/bun bench/storage.ts [HOURS=24]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { parseConfig } from "../src/config/load.ts";
import { openDb } from "../src/db/open.ts";
import { indexLinkedFootage } from "./fixture.ts";

const HOURS = Number(process.argv[2] ?? 24);
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-storage-"));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  // (1) 8 cameras, 90 days of quarter hours in the rollups (what the forecast reads).
  {
    const cams = Array.from({ length: 8 }, (_, i) => `cam${i}`);
    const config = parseConfig(
      `data_dir: ${join(dir, "f")}\napi: { listen: 127.0.0.1:0 }\ncameras: { ${cams.map((c) => `${c}: {}`).join(", ")} }\n`,
      join(dir, "f.yml"),
    );
    openDb(config.database).$client.close(true);
    const db = new Database(config.database);
    const now = Math.floor(Date.now() / 1000);
    const start = now - 90 * 86_400;
    db.transaction(() => {
      const bucket = db.prepare(
        "INSERT INTO recording_buckets (camera, bucket, segments, duration_ms, bytes, motion, objects) VALUES (?, ?, 90, 900000, ?, 0, 0)",
      );
      const first = db.prepare(
        "INSERT INTO recordings (id, camera, path, start_time, end_time, duration, motion, objects, segment_size, unjudged) VALUES (?, ?, ?, ?, ?, 10, 0, 0, 1, 0)",
      );
      for (const c of cams) {
        first.run(`${start}-${c.padEnd(6, "x")}`, c, `/bench/${c}`, start, start + 10);
        for (let t = Math.ceil(start / 900) * 900; t < now; t += 900) bucket.run(c, t, 100_000_000);
      }
    })();
    db.close();
    const app = await startApp(config);
    try {
      const status = async () => {
        const t = performance.now();
        await (
          await fetch(`${app.url}/api/status`, { headers: { authorization: `Bearer ${app.token}` } })
        ).json();
        return performance.now() - t;
      };
      for (let i = 0; i < 5; i++) await status(); // warm
      const cached: number[] = [];
      const computed: number[] = [];
      for (let i = 0; i < 15; i++) {
        cached.push(await status()); // the forecast from its minute's cache
        computed.push(await timedForecast(app)); // the forecast computed afresh
      }
      const base = median(cached);
      console.log(
        `forecast: ${median(computed).toFixed(2)} ms to compute (8 cameras, 90 days of rollups) against a status request of ${base.toFixed(2)} ms; once a minute at most, so a request pays it at most once a minute: +${((median(computed) / base) * 100).toFixed(0)} % for that one, +${((median(computed) / base / 60) * 100).toFixed(2)} % a request at one request a second (target ≤ +10 %)`,
      );
    } finally {
      await app.stop();
    }
  }

  // (2) A time-lapse of HOURS of 1080p.
  {
    const config = parseConfig(
      `data_dir: ${join(dir, "t")}\napi: { listen: 127.0.0.1:0 }\ncameras: { cam: {} }\n`,
      join(dir, "t.yml"),
    );
    const segment = join(dir, "segment.mp4");
    const made = Bun.spawnSync(
      "ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=15:duration=10 -c:v libx264 -preset ultrafast -b:v 4M -g 15"
        .split(" ")
        .concat(segment),
    );
    if (made.exitCode !== 0) throw new Error(`ffmpeg: ${made.stderr}`);
    const t0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - (HOURS + 1) * 3600;
    openDb(config.database).$client.close(true);
    indexLinkedFootage(config.database, config.recordingsDir, segment, { t0, count: HOURS * 360 });
    const app = await startApp(config);
    let stopped = false;
    try {
      const url = `${app.url}/api/cameras/cam/timelapse.mp4?start=${t0}&end=${t0 + HOURS * 3600}&speed=1000`;
      const c = cpuMs();
      const t = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${app.token}` } });
      const reader = res.body!.getReader();
      const first = await reader.read();
      const firstByte = performance.now() - t;
      let size = first.value?.length ?? 0;
      for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.length;
      const wall = performance.now() - t;
      const cpu = cpuMs() - c;
      // (stopped first: ffmpeg below runs synchronously, and a keeper whose loop it held for a
      // minute would be ended by its watchdog)
      stopped = true;
      await app.stop();
      // ffmpeg the usual way: the same files, their key frames decoded and encoded at 25 a second.
      const list = join(dir, "list.txt");
      const rows = new Database(config.database, { readonly: true })
        .query("SELECT path FROM recordings ORDER BY start_time")
        .all() as { path: string }[];
      // (every fourth file holds the key frame a 40 s step wants: ffmpeg is spared the others)
      writeFileSync(
        list,
        rows
          .filter((_, i) => i % 4 === 0)
          .map((r) => `file '${r.path}'\n`)
          .join(""),
      );
      const ft = performance.now();
      const ff = Bun.spawnSync(
        [
          ...[
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-skip_frame",
            "nokey",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            list,
          ],
          // a key frame each 40 s of the span (1000× at 25 frames a second), encoded
          ...["-vf", "select=isnan(prev_selected_t)+gte(t-prev_selected_t\\,39.9),setpts=N/25/TB"],
          ...["-r", "25", "-c:v", "libx264", "-preset", "ultrafast"],
          join(dir, "ffmpeg-timelapse.mp4"),
        ],
        { stderr: "pipe" },
      );
      if (ff.exitCode !== 0) throw new Error(`ffmpeg: ${ff.stderr}`);
      const ffWall = performance.now() - ft;
      const ffCpu = Number(ff.resourceUsage!.cpuTime.user + ff.resourceUsage!.cpuTime.system) / 1000;
      console.log(
        `time-lapse of ${HOURS} h of 1080p at 1000×: ${(size / 1e6).toFixed(1)} MB, first byte after ${firstByte.toFixed(0)} ms, all in ${wall.toFixed(0)} ms, camkeep's CPU ${cpu.toFixed(0)} ms; ffmpeg (key frames of the same files, decoded and encoded): ${ffWall.toFixed(0)} ms, CPU ${ffCpu.toFixed(0)} ms (${(ffCpu / Math.max(1, cpu)).toFixed(0)}× camkeep's), ${(statSync(join(dir, "ffmpeg-timelapse.mp4")).size / 1e6).toFixed(1)} MB`,
      );
    } finally {
      if (!stopped) await app.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The forecast computed afresh (a minute on), timed. */
async function timedForecast(app: Awaited<ReturnType<typeof startApp>>): Promise<number> {
  const { Forecaster } = await import("../src/health/forecast.ts");
  const { ArchiveTotals } = await import("../src/db/totals.ts");
  const f = new Forecaster({
    db: app.db,
    config: app.config,
    totals: new ArchiveTotals(app.db),
    space: () => app.health.snapshot().space,
  });
  const t = performance.now();
  f.get();
  return performance.now() - t;
}
