import { Database } from "bun:sqlite";
import { linkSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { openDb } from "../src/db/open.ts";
import { insertRecording } from "../src/db/recordings.ts";
import type { CopyOnInsert } from "../src/db/tiers.ts";
import { storagePath } from "../src/storage/layout.ts";

/**
 * A database the size of a busy box: `cameras` × `days` of 10 s segments (8 × 30 = 2.07 M rows),
 * with some motion and an event every 10 minutes. Files are not created: benchmarks that need
 * them say so.
 */
export function buildArchive(path: string, opts: { cameras?: number; days?: number; now?: number } = {}) {
  const cameras = opts.cameras ?? 8;
  const days = opts.days ?? 30;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const start = Math.floor((now - days * 86_400) / 600) * 600; // aligned, so events fall every 10 minutes
  openDb(path).$client.close(true); // schema via the real migrations
  const db = new Database(path);
  db.run("PRAGMA synchronous = OFF");
  const insert = db.prepare(
    "INSERT INTO recordings (id, camera, path, start_time, end_time, duration, motion, objects, segment_size, unjudged) VALUES (?, ?, ?, ?, ?, 10, ?, ?, 1250000, 0)",
  );
  const event = db.prepare(
    "INSERT INTO events (id, camera, label, start_time, end_time, has_clip, retain_indefinitely) VALUES (?, ?, 'person', ?, ?, 1, ?)",
  );
  const names = Array.from({ length: cameras }, (_, i) => `cam${i}`);
  let rows = 0;
  for (const camera of names) {
    db.transaction(() => {
      for (let t = start; t < now; t += 10) {
        const d = new Date(t * 1000);
        const path = `/bench/${d.toISOString().slice(0, 10)}/${d.toISOString().slice(11, 13)}/${camera}/${d.toISOString().slice(14, 16)}.${d.toISOString().slice(17, 19)}.mp4`;
        insert.run(
          `${t}-${camera.padEnd(6, "x").slice(0, 6)}`,
          camera,
          path,
          t,
          t + 10,
          t % 70 === 0 ? 500 : 0,
          t % 130 === 0 ? 1 : 0,
        );
        if (t % 600 === 0) event.run(`${camera}-${t}`, camera, t, t + 30, t % 86_400 === 0 ? 1 : 0);
        rows++;
      }
    })();
  }
  // The quarter-hour rollups of recordings and events, as the migration builds them for an older database.
  db.run("DELETE FROM recording_buckets");
  db.run(`INSERT INTO recording_buckets (camera, bucket, segments, duration_ms, bytes, motion, objects, events)
          SELECT camera, bucket, sum(s), sum(ms), sum(b), sum(m), sum(o), sum(e) FROM (
            SELECT camera, CAST(start_time / 900 AS INTEGER) * 900 AS bucket, 1 AS s, CAST(round(duration * 1000) AS INTEGER) AS ms, segment_size AS b, motion AS m, objects AS o, 0 AS e FROM recordings
            UNION ALL SELECT camera, CAST(start_time / 900 AS INTEGER) * 900, 0, 0, 0, 0, 0, 1 FROM events
          ) GROUP BY 1, 2`);
  db.close();
  return { cameras: names, rows, start, now };
}

/** Builds the archive in a child process, so the caller's memory figures are its own. */
export function buildArchiveApart(
  path: string,
  days = 30,
): { cameras: string[]; rows: number; start: number; now: number } {
  const p = Bun.spawnSync([process.execPath, import.meta.path, path, String(days)], { stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error("building the archive failed");
  return JSON.parse(p.stdout.toString());
}

if (import.meta.main)
  process.stdout.write(
    JSON.stringify(buildArchive(process.argv[2]!, { days: Number(process.argv[3] ?? 30) })),
  );

/**
 * Footage of camera "cam" indexed beside a keeper: `count` 10 s segments from `t0`, each a hard
 * link of `segment` (cheap) at its layout path under `recordingsDir`, with `sha256` as their hash
 * when given, their copies queued for `copyTo`'s tiers when given.
 */
export function indexLinkedFootage(
  database: string,
  recordingsDir: string,
  segment: string,
  opts: { t0: number; count: number; sha256?: string; copyTo?: CopyOnInsert },
): void {
  const db = openDb(database);
  const size = statSync(segment).size;
  db.$client.transaction(() => {
    for (let i = 0; i < opts.count; i++) {
      const start = opts.t0 + i * 10;
      const path = storagePath(recordingsDir, "cam", start);
      mkdirSync(dirname(path), { recursive: true });
      linkSync(segment, path);
      insertRecording(
        db,
        {
          id: `${start}-bench0`,
          camera: "cam",
          path,
          start_time: start,
          end_time: start + 10,
          duration: 10,
          motion: 0,
          objects: 0,
          segment_size: size,
          unjudged: false,
          sha256: opts.sha256,
        },
        opts.copyTo,
      );
    }
  })();
  db.$client.close(true);
}

/**
 * A real S3 server (npm's s3rver) on a free loopback port, its data in `dir`, with `bucket` made;
 * keys S3RVER/S3RVER. (--openssl-legacy-provider: its continuation tokens, past 1,000 keys, use DES.)
 */
export async function startS3rver(
  dir: string,
  bucket: string,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  const s3rver = join(import.meta.dir, "../node_modules/s3rver/bin/s3rver.js");
  const args = ["-d", dir, "-a", "127.0.0.1", "-p", String(port), "--configure-bucket", bucket, "-s"];
  const proc = Bun.spawn(["node", "--openssl-legacy-provider", s3rver, ...args], {
    stdout: "ignore",
    stderr: "inherit",
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; !(await fetch(endpoint).catch(() => undefined)); i++) {
    if (i > 150) throw new Error("s3rver did not start");
    await Bun.sleep(100);
  }
  return {
    endpoint,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}
