import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "bun:test";
import type { App, StartOptions } from "../src/app.ts";
import { parseConfig, type Config } from "../src/config/load.ts";

export const ROOT = join(import.meta.dir, "..");
export const BUN = join(ROOT, "node_modules/.bin/bun");

const madeDirs: string[] = [];
/** A fresh folder under /tmp, removed after the run (test/setup.ts; CAMKEEP_KEEP_TEMP=1 keeps them for a look). */
export function tempDir(prefix = "camkeep-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  if (process.env.CAMKEEP_KEEP_TEMP) return;
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A config from YAML text, with every path inside `dir`. */
export function configIn(dir: string, yaml = ""): Config {
  return parseConfig(`data_dir: ${dir}\n${yaml}`, join(dir, "camkeep.yml"));
}

const made = new Map<string, string>();
const segmentsDir = tempDir("camkeep-segments-");

/**
 * A real, tiny MP4 segment of `seconds` made by ffmpeg (moov at the end, as a recorder's
 * segment muxer writes it). Made once per length, then copied.
 */
export async function segmentFile(seconds = 2, opts: { audio?: boolean } = {}): Promise<string> {
  const key = `${seconds}-${opts.audio ? "a" : "v"}`;
  let path = made.get(key);
  if (!path) {
    path = join(segmentsDir, `${key}.mp4`);
    const args = [
      "ffmpeg",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=96x64:rate=5:duration=${seconds}`,
    ];
    if (opts.audio)
      args.push("-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`, "-c:a", "aac", "-b:a", "16k");
    args.push("-c:v", "libx264", "-preset", "ultrafast", "-g", "5", path);
    const p = Bun.spawnSync(args);
    if (p.exitCode !== 0) throw new Error(`ffmpeg could not make a test segment: ${p.stderr}`);
    made.set(key, path);
  }
  return path;
}

/**
 * A segment as a camera's recorder writes it: H.264 with B-frames (or H.265), a key frame a
 * second, AAC audio, moov at the end, at `path`. `n` tints the picture and tunes the tone, so
 * that each segment's packets are its own (a segment out of order would show).
 */
export function cameraSegment(
  path: string,
  opts: { size?: string; seconds?: number; n?: number; hevc?: boolean; audio?: boolean } = {},
): void {
  const { size = "320x240", seconds = 2, n = 0, hevc = false, audio = !hevc } = opts;
  const video = hevc
    ? ["-c:v", "libx265", "-x265-params", "log-level=error:keyint=10", "-tag:v", "hvc1"]
    : ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "10", "-pix_fmt", "yuv420p"];
  const tone = audio
    ? ["-f", "lavfi", "-i", `sine=frequency=${300 + n * 50}:sample_rate=48000:duration=${seconds}`]
    : [];
  const p = Bun.spawnSync([
    ...["ffmpeg", "-v", "error", "-y", "-f", "lavfi"],
    ...["-i", `testsrc2=size=${size}:rate=10:duration=${seconds},hue=h=${n * 40}`, ...tone, ...video],
    ...(audio ? ["-c:a", "aac", "-b:a", "48k"] : []),
    path,
  ]);
  if (p.exitCode !== 0) throw new Error(`ffmpeg could not make a camera segment: ${p.stderr}`);
}

/** Puts a real segment into `cacheDir` under the name a recorder would give it. */
export async function putSegment(
  cacheDir: string,
  name: string,
  seconds = 2,
  mtimeMs?: number,
): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, name);
  copyFileSync(await segmentFile(seconds), path);
  if (mtimeMs !== undefined) {
    const { utimesSync } = await import("node:fs");
    utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
  }
  return path;
}

/** `<camera>-<YYYYmmddHHMMSS>.mp4` for a UTC instant (seconds). */
export function segmentName(camera: string, startSec: number): string {
  const d = new Date(startSec * 1000).toISOString(); // 2026-11-26T00:24:26.000Z
  return `${camera}-${d.slice(0, 19).replace(/[-:T]/g, "")}.mp4`;
}

/** ffprobe's values of the video stream's `fields` (e.g. "width,height") in a file, as one csv line. Asynchronous: safe beside an in-process keeper. */
export async function videoStreamFields(path: string, fields: string): Promise<string> {
  const p = Bun.spawn(
    [
      "ffprobe",
      "-v",
      "error",
      "-select_streams",
      "v",
      "-show_entries",
      `stream=${fields}`,
      "-of",
      "csv=p=0",
      path,
    ],
    { stdout: "pipe" },
  );
  return (await new Response(p.stdout).text()).trim();
}

export async function ffprobeDuration(path: string): Promise<number> {
  // (Spawned asynchronously: `path` may be a URL this process's own keeper answers.)
  const p = await runTool([
    "ffprobe",
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    path,
  ]);
  return Number(p.out.trim());
}

/** Top-level box types of an MP4, in order (headers only: works on a 4 GiB sparse file). */
export async function boxOrder(path: string): Promise<string[]> {
  const { openSync, readSync, fstatSync, closeSync } = await import("node:fs");
  const fd = openSync(path, "r");
  const size = fstatSync(fd).size;
  const head = Buffer.alloc(16);
  const types: string[] = [];
  try {
    for (let at = 0; at + 8 <= size; ) {
      readSync(fd, head, 0, 16, at);
      let box = head.readUInt32BE(0);
      if (box === 1) box = Number(head.readBigUInt64BE(8));
      if (box === 0) box = size - at;
      types.push(head.toString("latin1", 4, 8));
      if (box < 8) break;
      at += box;
    }
  } finally {
    closeSync(fd);
  }
  return types;
}

/**
 * A segment already in storage: a real MP4 at its layout path (hard-linked: cheap, and
 * unlinking it frees nothing else) and, unless `row` is false, its row.
 */
export async function storedSegment(
  db: import("../src/db/open.ts").Db,
  root: string,
  camera: string,
  start: number,
  opts: {
    row?: boolean;
    motion?: number;
    objects?: number;
    unjudged?: boolean;
    copy?: boolean;
    copyTo?: import("../src/db/tiers.ts").CopyOnInsert;
  } = {},
): Promise<string> {
  const { storagePath } = await import("../src/storage/layout.ts");
  const { newId } = await import("../src/domain/id.ts");
  const { insertRecording } = await import("../src/db/recordings.ts");
  const { linkSync, statSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  const path = storagePath(root, camera, start);
  mkdirSync(dirname(path), { recursive: true });
  if (opts.copy) copyFileSync(await segmentFile(2), path);
  else linkSync(await segmentFile(2), path);
  if (opts.row !== false) {
    insertRecording(
      db,
      {
        id: newId(start),
        camera,
        path,
        start_time: start,
        end_time: start + 2,
        duration: 2,
        motion: opts.motion ?? 5,
        objects: opts.objects ?? 1,
        segment_size: statSync(path).size,
        unjudged: opts.unjudged ?? false,
      },
      opts.copyTo,
    );
  }
  return path;
}

/**
 * Waits for `cond` to hold, checking every `everyMs`; throws naming `what` when `timeoutMs`
 * passes first, so a test can never fall through a wait that did not happen.
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** Command lines of the direct children of a process (from /proc, any of its threads), to count what it spawned. */
export function childCommands(pid: number): string[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  });
  return children.flatMap((child) => {
    try {
      return [readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").join(" ").trim()];
    } catch {
      return []; // exited meanwhile
    }
  });
}

/** Whether this run may mount a tmpfs (root): the tests that fill a real small volume need it. */
export function canMountTmpfs(): boolean {
  const dir = tempDir("camkeep-tmpfs-probe-");
  if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).exitCode !== 0) return false;
  Bun.spawnSync(["umount", dir]);
  return true;
}

/**
 * The rollups as they are, and as a full aggregation of the recordings says they should be:
 * a test compares the two (they must be equal, whatever happened).
 */
export function rollupsAndTruth(db: import("../src/db/open.ts").Db): {
  rollups: unknown[];
  truth: unknown[];
} {
  return {
    rollups: db.$client
      .query(
        "SELECT camera, bucket, segments, duration_ms, bytes, motion, objects FROM recording_buckets WHERE segments > 0 ORDER BY camera, bucket",
      )
      .all(),
    truth: db.$client
      .query(`SELECT camera, CAST(start_time / 900 AS INTEGER) * 900 AS bucket, count(*) AS segments, sum(CAST(round(duration * 1000) AS INTEGER)) AS duration_ms,
      sum(segment_size) AS bytes, sum(motion) AS motion, sum(objects) AS objects FROM recordings GROUP BY 1, 2 ORDER BY 1, 2`)
      .all(),
  };
}

/** A loopback port nothing listens on now. */
export function freePort(): number {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

export interface S3Server {
  endpoint: string;
  port: number;
  dir: string;
  proc: import("bun").Subprocess;
  /** Killed (SIGKILL: a store that dies mid-request). */
  kill(): Promise<void>;
  /** Started again on the same port and data. */
  restart(): Promise<void>;
}

/** A real S3 server (npm's s3rver) on a free loopback port, with `bucket` made; keys S3RVER/S3RVER. */
export async function startS3(bucket = "camkeep"): Promise<S3Server> {
  const dir = tempDir("camkeep-s3-");
  const port = freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const launch = async () => {
    const proc = Bun.spawn(
      [
        "node",
        // s3rver's continuation tokens (a listing of over 1,000 keys) use DES, which OpenSSL 3 keeps apart
        "--openssl-legacy-provider",
        join(ROOT, "node_modules/s3rver/bin/s3rver.js"),
        "-d",
        dir,
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "--configure-bucket",
        bucket,
        "-s",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    await until(
      async () => (await fetch(endpoint).catch(() => undefined)) !== undefined,
      15_000,
      "s3rver to listen",
    );
    return proc;
  };
  const server: S3Server = {
    endpoint,
    port,
    dir,
    proc: await launch(),
    async kill() {
      server.proc.kill("SIGKILL");
      await server.proc.exited;
    },
    async restart() {
      server.proc = await launch();
    },
  };
  return server;
}

/** Captures what camkeep logs (to stderr) while `fn` runs. */
export async function logged(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

/**
 * A starter of in-process keepers for one test file: every keeper it started is stopped after
 * the file's tests (or after each test, with `after: "each"`). Call it at the top of the file.
 */
export function keepers(opts: { after?: "all" | "each" } = {}) {
  const started: App[] = [];
  (opts.after === "each" ? afterEach : afterAll)(async () => {
    for (const app of started.splice(0)) await app.stop();
  });
  return {
    async start(config: Config, startOptions?: StartOptions): Promise<App> {
      const { startApp } = await import("../src/app.ts");
      const app = await startApp(config, startOptions);
      started.push(app);
      return app;
    },
    /** Stops one now (a test that restarts it), so it is not stopped twice. */
    async stop(app: App): Promise<void> {
      started.splice(started.indexOf(app), 1);
      await app.stop();
    },
  };
}

/** The recordings' rows, oldest first. */
export function recordingRows(db: import("../src/db/open.ts").Db) {
  return db.$client
    .query("SELECT * FROM recordings ORDER BY start_time")
    .all() as import("../src/db/schema.ts").Recording[];
}

/** A command run to its end (asynchronously: a keeper in this process answers it meanwhile). */
export async function runTool(
  args: string[],
  cwd?: string,
): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", cwd });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}
