/**
 * Cost of moving footage to a storage tier (issue 14), in one run on the same segments:
 *   (a) the local store path, the baseline: moov-first copy from the cache into storage and
 *       the rows indexed (placeSegment + indexPlaced), as the maintainer stores a segment;
 *   (b) moves to an S3 server on loopback (s3rver, started here): read, MD5, PUT with
 *       Content-MD5, HEAD to verify, commit, local file removed — by the tier worker;
 *   (c) the same moves to a folder tier (read back and hashed to verify).
 * CPU is this process's (the S3 server is another process: not counted). Target: CPU per moved
 * segment ≤ 3× the local store path. Segments: 10 s 720p H.264, ~2.7 MB; medians of 5 rounds.
 * Both paths commit as configured by default: stored rows and verified moves together.
 *   node_modules/.bin/bun bench/tiers.ts [SEGMENTS=100]
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type Config } from "../src/config/load.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { nativeEngine } from "../src/media/native.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { indexPlaced, placeSegment, type Placed } from "../src/storage/store.ts";
import { claimVolume } from "../src/storage/volume.ts";
import { openTiers } from "../src/tiers/open.ts";
import { TierWorker } from "../src/tiers/worker.ts";
import { startS3rver } from "./fixture.ts";

const N = Number(process.argv[2] ?? 150);
const WARM_UP = 20;
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-tiers-"));
const segment = join(dir, "seg.mp4");
const made = Bun.spawnSync([
  "ffmpeg",
  "-v",
  "error",
  "-y",
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=1280x720:rate=25:duration=10",
  "-c:v",
  "libx264",
  "-preset",
  "ultrafast",
  "-b:v",
  "2M",
  "-maxrate",
  "2M",
  "-bufsize",
  "4M",
  "-g",
  "50",
  segment,
]);
if (made.exitCode !== 0) throw new Error(made.stderr.toString());
const size = Bun.file(segment).size;
console.log(`${N} segments of ${(size / 1e6).toFixed(2)} MB each (+${WARM_UP} warm-up per path)`);

const s3 = await startS3rver(join(dir, "s3"), "bench");

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const media = nativeEngine(ffmpegEngine());
const DAY = 86_400;

/** A keeper's config and database with `n` segments stored by the local store path; returns its CPU per segment. */
async function storeLocally(
  name: string,
  tierYaml: string,
  n: number,
): Promise<{ config: Config; db: Db; cpu: number; wall: number }> {
  const data = join(dir, name);
  const config = parseConfig(
    `data_dir: ${data}\ncameras:\n  cam: {}\nstorage:\n  tiers:\n${tierYaml}\n`,
    join(data, "c.yml"),
  );
  const db = openDb(config.database);
  claimVolume(db, config.recordingsDir, 0);
  mkdirSync(config.cacheDir, { recursive: true });
  const start0 = Math.floor(Date.now() / 1000) - 2 * DAY;
  const caches = Array.from({ length: n }, (_, i) => {
    const path = join(config.cacheDir, `cam-${i}.mp4`);
    copyFileSync(segment, path); // the recorder's write: not the keeper's work
    return path;
  });
  const t0 = performance.now();
  const c0 = cpuMs();
  let batch: Placed[] = [];
  for (const [i, cachePath] of caches.entries()) {
    const start = start0 + i * 10;
    const out = await placeSegment(db, media, config.recordingsDir, {
      cachePath,
      camera: "cam",
      start,
      end: start + 10,
      duration: 10,
      motion: 1,
      objects: 0,
      unjudged: false,
    });
    if (out.kind === "placed") batch.push(out.placed);
    if (batch.length === 10) {
      indexPlaced(db, batch);
      batch = [];
    }
  }
  indexPlaced(db, batch);
  return { config, db, cpu: (cpuMs() - c0) / n, wall: (performance.now() - t0) / n };
}

/**
 * Moves every stored segment to the tier with the tier worker, as configured by default: the
 * verified moves counted together (record.commit_interval), here at stop, once all are
 * verified. CPU and wall per segment, the commit and the sources' removal included.
 */
async function moveAll(config: Config, db: Db, n: number): Promise<{ cpu: number; wall: number }> {
  const worker = new TierWorker({ config, db, targets: openTiers(config.storage.tiers, db) });
  const t0 = performance.now();
  const c0 = cpuMs();
  worker.start();
  const tier = config.storage.tiers[0]!.name;
  while (worker.awaitingCommit(tier) < n) await Bun.sleep(20);
  await worker.stop();
  const moved = (
    db.$client.query("SELECT count(*) AS n FROM recordings WHERE tier IS NOT NULL").get() as { n: number }
  ).n;
  if (moved !== n) throw new Error(`${moved} of ${n} moved`);
  return { cpu: (cpuMs() - c0) / n, wall: (performance.now() - t0) / n };
}

const s3Tier = `    - { name: s3, s3: { endpoint: "${s3.endpoint}", bucket: bench, access_key_id: S3RVER, secret_access_key: S3RVER }, after: 1d, concurrency: 4 }`;
const ROUNDS = 5;
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = new Map<string, { cpu: number[]; wall: number[] }>();
const record = (label: string, r: { cpu: number; wall: number }) => {
  const run = runs.get(label) ?? { cpu: [], wall: [] };
  run.cpu.push(r.cpu);
  run.wall.push(r.wall);
  runs.set(label, run);
};
const tiers = [
  ["S3 on loopback", s3Tier],
  ["folder tier", `    - { name: nas, path: ${join(dir, "nas-NAME")}, after: 1d, concurrency: 4 }`],
] as const;
// Warm-up: both paths' code compiled by the JIT before anything is measured.
for (const [label, tier] of tiers) {
  const warm = await storeLocally(`warm-${label}`.replace(/\W/g, ""), tier.replace("NAME", "warm"), WARM_UP);
  await moveAll(warm.config, warm.db, WARM_UP);
}
// Rounds interleaved, medians reported: the machine's other work weighs on every path alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, tier] of tiers) {
    const local = await storeLocally(
      `${round}-${label}`.replace(/\W/g, ""),
      tier.replace("NAME", String(round)),
      N,
    );
    record("local store path (baseline)", local);
    record(`move to ${label}`, await moveAll(local.config, local.db, N));
  }
}
const rows = [...runs].map(([label, r]) => [label, median(r.cpu), median(r.wall)] as const);
const base = rows[0]![1];
console.log("path                           CPU ms/segment   wall ms/segment   segments/s   CPU vs baseline");
for (const [label, cpu, wall] of rows) {
  console.log(
    `${label.padEnd(30)} ${cpu.toFixed(2).padStart(14)} ${wall.toFixed(2).padStart(17)} ${(1000 / wall).toFixed(0).padStart(12)} ${(cpu / base).toFixed(2).padStart(16)}×`,
  );
}
console.log("target: CPU per moved segment ≤ 3× the local store path");
await s3.stop();
rmSync(dir, { recursive: true, force: true });
