/**
 * SD-card wear of storing segments (issue 15.7): database bytes written per stored segment,
 * from /proc/self/io (write_bytes: what this process sent to the block layer, WAL and
 * checkpoints included), in 4 KiB pages. Target: ≤ 2 pages per segment, amortised.
 * The cache and storage are on tmpfs (/dev/shm), so only the database (on disk) counts.
 * Steady state: 10 s segments, a pass every 5 s, each camera closing a segment every other
 * pass, for `passes` passes; with record.commit_interval 0 (index every pass) and 30 (default).
 * Baseline, same run: the same rows inserted one transaction each (the store path before).
 *   node_modules/.bin/bun bench/wear.ts [passes]
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { SimulatedClocks } from "../src/time/clocks.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { openDb } from "../src/db/open.ts";
import { insertRecording } from "../src/db/recordings.ts";
import { newId } from "../src/domain/id.ts";
import { setLogLevel } from "../src/log/log.ts";
import { nativeEngine } from "../src/media/native.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { ActivityStore } from "../src/keeper/activity.ts";
import { Maintainer } from "../src/keeper/maintainer.ts";
import { StorageGate } from "../src/storage/gate.ts";
import { storagePath } from "../src/storage/layout.ts";
import { openTiers } from "../src/tiers/open.ts";
import { TierWorker } from "../src/tiers/worker.ts";

setLogLevel("warn");
const PASSES = Number(process.argv[2] ?? 400);
const fast = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const writeBytes = () => Number(/write_bytes: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))![1]);
const pages = (bytes: number, segments: number) => (bytes / 4096 / segments).toFixed(2);

// One real 2 s segment, copied for each camera and pass.
const seg = join(mkdtempSync(join(fast, "camkeep-wear-seg-")), "s.mp4");
Bun.spawnSync([
  "ffmpeg",
  "-v",
  "error",
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=96x64:rate=5:duration=2",
  "-c:v",
  "libx264",
  "-preset",
  "ultrafast",
  seg,
]);

async function keeper(cameras: number, commitInterval: number, copyTier = false) {
  const data = mkdtempSync(join(fast, "camkeep-wear-"));
  const dbDir = mkdtempSync(join(tmpdir(), "camkeep-wear-db-"));
  const names = Array.from({ length: cameras }, (_, i) => `cam${i}`);
  // With a copy tier (a folder, on tmpfs too), its queue and copies rows are written as well.
  const tiers = copyTier
    ? `storage: { tiers: [{ name: backup, path: ${join(data, "backup")}, copy: true }] }\n`
    : "";
  const config = parseConfig(
    `data_dir: ${data}\ndatabase: ${join(dbDir, "camkeep.db")}\nrecord: { commit_interval: ${commitInterval}, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0 } }\ncameras: { ${names.map((c) => `${c}: {}`).join(", ")} }\n${tiers}`,
    join(data, "c.yml"),
  );
  const db = openDb(config.database);
  const media = nativeEngine(ffmpegEngine());
  const storage = new StorageGate(db, media, config.recordingsDir);
  await storage.reconcile();
  const clocks = new SimulatedClocks(1_790_000_000);
  const maintainer = new Maintainer({
    config,
    db,
    media,
    activity: new ActivityStore(),
    storage,
    clocks,
  });
  const worker = new TierWorker({ config, db, targets: openTiers(config.storage.tiers, db) });
  worker.start();
  let segments = 0;
  const t0 = clocks.now();
  const before = writeBytes();
  for (let p = 0; p < PASSES; p++) {
    await clocks.advance((t0 + p * 5 - clocks.now()) * 1000);
    if (p % 2 === 0) {
      // Each camera closed the segment that started 20 s ago (10 s long, idle since).
      const start = t0 + p * 5 - 20;
      for (const camera of names) {
        const name = `${camera}-${new Date(start * 1000).toISOString().slice(0, 19).replace(/[-:T]/g, "")}.mp4`;
        copyFileSync(seg, join(config.cacheDir, name));
        utimesSync(join(config.cacheDir, name), start + 10, start + 10);
      }
      segments += cameras;
    }
    await maintainer.pass();
  }
  await maintainer.stop(); // indexes what still waits
  while (copyTier && (db.$client.query("SELECT count(*) AS n FROM transfers").get() as { n: number }).n)
    await Bun.sleep(20);
  await worker.stop();
  const ours = writeBytes() - before;
  db.$client.close(true);

  // Baseline: the same rows, one transaction each, into a fresh database.
  const baseDb = openDb(join(dbDir, "baseline.db"));
  const b0 = writeBytes();
  for (let p = 0; p < PASSES; p += 2) {
    for (const camera of names) {
      const start = t0 + p * 5 - 20;
      insertRecording(baseDb, {
        id: newId(start),
        camera,
        path: storagePath(config.recordingsDir, camera, start),
        start_time: start,
        end_time: start + 2,
        duration: 2,
        motion: 0,
        objects: 0,
        segment_size: 20_000,
        unjudged: false,
      });
    }
  }
  const baseline = writeBytes() - b0;
  baseDb.$client.close(true);
  rmSync(data, { recursive: true, force: true });
  rmSync(dbDir, { recursive: true, force: true });
  console.log(
    `${cameras} camera(s), commit_interval ${commitInterval} s${copyTier ? ", copy tier" : ""}, ${segments} segments: ${pages(ours, segments)} pages per segment; baseline one transaction per row: ${pages(baseline, segments)}`,
  );
}

mkdirSync(fast, { recursive: true });
for (const cameras of [1, 4, 8]) for (const interval of [0, 30]) await keeper(cameras, interval);
await keeper(4, 30, true);
rmSync(join(seg, ".."), { recursive: true, force: true });
