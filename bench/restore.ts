/**
 * Restore from the bucket (issue 34, docs/archive.md#restore): a month of 4 cameras with 10 s
 * segments (1,036,800 segments, 2,880 camera-hours, an event every 10 minutes), sealed hour by
 * hour with real signatures, written to a real S3 server (s3rver) on loopback by the archive
 * writer; then restored into an empty database in a child process (its wall time and peak RSS
 * are the restore's own). Targets: ≤ 60 s, ≤ 200 MB.
 * Baseline, the same run: listing every segment object of the bucket — what a restore without
 * manifests would have to do before reading anything. A million objects cannot be put into
 * s3rver in a bench's time, so a day of one camera (8,640 objects) is put and listed, and the
 * figure scaled to the month's objects.
 *   node_modules/.bin/bun bench/restore.ts [DAYS=30]
 */
import { S3Client } from "bun";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArchiveWriter } from "../src/archive/writer.ts";
import { restoreArchive } from "../src/archive/restore.ts";
import { parseConfig, type Config } from "../src/config/load.ts";
import { pendingMarks } from "../src/db/archive.ts";
import { openDb } from "../src/db/open.ts";
import { identitySource } from "../src/evidence/identity.ts";
import { Sealer } from "../src/evidence/sealer.ts";
import { openTiers } from "../src/tiers/open.ts";
import type { S3Tier } from "../src/tiers/s3.ts";
import { buildArchive, startS3rver } from "./fixture.ts";

function configFor(dir: string, endpoint: string): Config {
  return parseConfig(
    `data_dir: ${dir}
record: { commit_interval: 0 }
cameras: { cam0: {}, cam1: {}, cam2: {}, cam3: {} }
storage:
  tiers:
    - name: offsite
      s3: { endpoint: "${endpoint}", bucket: camkeep, prefix: site-a/, access_key_id: S3RVER, secret_access_key: S3RVER }
      copy: true
`,
    join(dir, "camkeep.yml"),
  );
}

/** The restore alone, in its own process: `bun bench/restore.ts --restore DIR ENDPOINT`. */
async function restoreChild(dir: string, endpoint: string): Promise<void> {
  const config = configFor(dir, endpoint);
  const db = openDb(join(dir, "restored.db"));
  const store = openTiers(config.storage.tiers, db).get("offsite") as S3Tier;
  const t = performance.now();
  const rss = async () =>
    Number(/VmRSS:\s+(\d+)/.exec(await Bun.file("/proc/self/status").text())![1]) / 1024;
  const report = await restoreArchive(db, store, {
    force: false,
    now: Date.now() / 1000,
    progress: async (line) => console.error(`  restore: ${line} (RSS ${(await rss()).toFixed(0)} MB)`),
  });
  const wall = (performance.now() - t) / 1000;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(await Bun.file("/proc/self/status").text())![1]) / 1024;
  const problems = report.cameras.reduce((n, c) => n + c.problems.length + c.altered + c.missing, 0);
  process.stdout.write(
    JSON.stringify({
      wall,
      hwm,
      segments: report.segments,
      hours: report.hours,
      seals: report.seals,
      events: report.events,
      problems,
      unreadable: report.unreadable.length,
    }),
  );
  db.$client.close(true);
}

if (process.argv[2] === "--restore") {
  await restoreChild(process.argv[3]!, process.argv[4]!);
  process.exit(0);
}

const DAYS = Number(process.argv[2] ?? 30);
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-restore-"));
const s3rver = await startS3rver(join(dir, "s3"), "camkeep");
const endpoint = s3rver.endpoint;
try {
  const config = configFor(dir, endpoint);

  // The box: a month of footage, every segment in the bucket tier with its hash.
  let t = performance.now();
  const built = buildArchive(config.database, { cameras: 4, days: DAYS });
  const raw = new Database(config.database);
  raw.run(
    "UPDATE recordings SET tier = 'offsite', tiered = 1, path = substr(path, 8), sha256 = lower(hex(randomblob(32)))",
  );
  raw.close();
  console.log(
    `index: ${built.rows} segments of ${built.cameras.length} cameras over ${DAYS} days (${((performance.now() - t) / 1000).toFixed(1)} s to build)`,
  );

  // Sealed hour by hour, as the sealer does (real RSA-PSS signatures).
  const db = openDb(config.database);
  const identity = identitySource(config);
  const sealer = new Sealer({ db, config, identity, hashingLeft: () => 0 });
  t = performance.now();
  for (let before = -1; sealer.made !== before; ) {
    before = sealer.made;
    await sealer.pass(built.now + 7200);
  }
  console.log(`sealed: ${sealer.made} camera-hours in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // The archive written by the writer, as a bucket tier added to a box with footage gets it.
  const targets = openTiers(config.storage.tiers, db);
  const writer = new ArchiveWriter({ config, db, targets, identity });
  t = performance.now();
  writer.start();
  while (pendingMarks(db) > 0) await Bun.sleep(200);
  await writer.stop();
  const wrote = (performance.now() - t) / 1000;
  console.log(
    `archive written: ${writer.status().written} documents in ${wrote.toFixed(1)} s (${((wrote * 1000) / writer.status().written).toFixed(1)} ms each)`,
  );
  db.$client.close(true);

  // The baseline: listing segment objects (a day of one camera put, listed, and scaled).
  const client = new S3Client({
    endpoint,
    bucket: "camkeep",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
  const DAY = 8_640;
  const body = new Uint8Array(16);
  // (one at a time: s3rver fails concurrent writes into a folder it is making)
  for (let i = 0; i < DAY; i++) {
    const d = new Date((built.start + i * 10) * 1000).toISOString();
    await client.write(
      `site-a/${d.slice(0, 10)}/${d.slice(11, 13)}/cam0/${d.slice(14, 16)}.${d.slice(17, 19)}.mp4`,
      body,
    );
  }
  t = performance.now();
  let listed = 0;
  for (let token: string | undefined; ; ) {
    const page = await client.list({ prefix: "site-a/2", maxKeys: 1000, continuationToken: token });
    listed += page.contents?.length ?? 0;
    if (!page.isTruncated) break;
    token = page.nextContinuationToken;
  }
  const listSeconds = (performance.now() - t) / 1000;
  const scaled = (listSeconds * built.rows) / listed;

  // The restore, in its own process.
  const child = Bun.spawnSync([process.execPath, import.meta.path, "--restore", dir, endpoint], {
    stderr: "inherit",
  });
  if (child.exitCode !== 0) throw new Error("the restore failed");
  const r = JSON.parse(child.stdout.toString());
  console.log(
    `restore: ${r.segments} segments, ${r.hours} camera-hours, ${r.seals} seals, ${r.events} events in ${r.wall.toFixed(1)} s (target ≤ 60 s), peak RSS ${r.hwm.toFixed(0)} MB (target ≤ 200 MB); problems ${r.problems}, unreadable ${r.unreadable}`,
  );
  console.log(
    `baseline: listing ${listed} segment objects took ${listSeconds.toFixed(2)} s; all ${built.rows} would take ≈ ${scaled.toFixed(0)} s — the restore is ${(r.wall / scaled).toFixed(2)}× that, and it reads no segment listing at all`,
  );
} finally {
  await s3rver.stop();
  rmSync(dir, { recursive: true, force: true });
}
