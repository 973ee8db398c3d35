import { afterEach, describe, expect, test } from "bun:test";
import { JOIN_EARLY_S } from "../src/keeper/segment-join.ts";
import { SimulatedClocks } from "../src/time/clocks.ts";
import { alive } from "../src/os/process.ts";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { keepers, configIn, ffprobeDuration, freePort, BUN, ROOT, tempDir, until } from "./helpers.ts";
import { redact } from "../src/log/redact.ts";
import { recorderArgs, watchdogSeconds } from "../src/recorder/args.ts";
import { Recorder } from "../src/recorder/supervisor.ts";
import { recordings } from "../src/db/schema.ts";

const LAVFI = `input: "testsrc2=size=96x64:rate=10"\n    input_args: ["-re", "-f", "lavfi"]\n    output_args: ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10"]`;
const QUICK =
  "api: { listen: 127.0.0.1:0 }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 1, pre_capture: 0 } }\n";

const keeper = keepers({ after: "each" });
const children: { kill(sig?: number | NodeJS.Signals): void }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

/** ffmpeg serving a live MPEG-TS stream over HTTP on loopback, to one client. */
async function loopbackStream() {
  const port = freePort();
  const server = Bun.spawn([
    "ffmpeg",
    "-v",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=96x64:rate=10",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "10",
    "-f",
    "mpegts",
    "-listen",
    "1",
    `http://127.0.0.1:${port}/live.ts`,
  ]);
  children.push(server);
  // ffmpeg -listen accepts one client: wait until its port is bound, without taking that client.
  await until(
    () =>
      readFileSync("/proc/net/tcp", "utf8").includes(
        `:${port.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A`,
      ),
    10_000,
    "the stream to listen",
  );
  return { port, server };
}
const rows = (app: App) => app.db.select().from(recordings).all();

describe("recorder command line", () => {
  const rec = { input: "rtsp://u:p@cam/stream", segmentTime: 10, inputArgs: [], outputArgs: [] };
  test("RTSP over TCP with a timeout, copied into UTC-named MP4 segments", () => {
    const argv = recorderArgs("front-door", rec, "/cache");
    expect(argv.join(" ")).toBe(
      "ffmpeg -hide_banner -nostdin -loglevel warning -rtsp_transport tcp -timeout 10000000 -i rtsp://u:p@cam/stream " +
        "-map 0:v -map 0:a? -c copy -f segment -segment_time 10 -segment_format mp4 -reset_timestamps 1 -strftime 1 /cache/front-door-%Y%m%d%H%M%S.mp4",
    );
  });
  test("extra args; a codec in the output args replaces -c copy", () => {
    const argv = recorderArgs(
      "usb",
      { input: "/dev/video0", segmentTime: 5, inputArgs: ["-f", "v4l2"], outputArgs: ["-c:v", "libx264"] },
      "/c",
    );
    expect(argv).not.toContain("copy");
    expect(argv.slice(5, 9)).toEqual(["-f", "v4l2", "-i", "/dev/video0"]);
  });
  test("credentials are redacted anywhere in a text", () => {
    expect(redact("rtsp://admin:s3cr3t@10.0.0.5:554/x and http://u:p@h/")).toBe(
      "rtsp://***@10.0.0.5:554/x and http://***@h/",
    );
    expect(redact("rtsp://10.0.0.5/x")).toBe("rtsp://10.0.0.5/x");
  });
  test("watchdog limit: max(120 s, 2 × segment_time + 30 s)", () => {
    expect(watchdogSeconds(10)).toBe(120);
    expect(watchdogSeconds(60)).toBe(150);
  });
});

describe("recorders camkeep runs (docs/recorders.md)", () => {
  test("a synthetic source is recorded into segments that the maintainer stores, each starting where the last ended", async () => {
    const dir = tempDir();
    const app = await keeper.start(
      configIn(dir, `${QUICK}cameras:\n  synth:\n    segment_time: 2\n    ${LAVFI}\n`),
    );
    await until(() => rows(app).length >= 4, 30_000, "four stored segments");
    const stored = rows(app);
    for (const r of stored) expect(await ffprobeDuration(r.path)).toBeGreaterThan(1.5);
    // One recorder run: the segments join exactly, whatever second their names carry — unless the
    // recorder fell more than the join's margin behind the wall clock its names are read by (a
    // starved ffmpeg on a busy machine): then a segment starts in its name's second, after the
    // previous end. Never before it: footage is never shown twice.
    let joined = 0;
    for (let i = 1; i < stored.length; i++) {
      const end = stored[i - 1]!.start_time + stored[i - 1]!.duration;
      const start = stored[i]!.start_time;
      if (start !== end)
        console.log(`segment ${i} starts ${(start - end).toFixed(3)} s after the previous end`);
      expect(start === end || start > end + JOIN_EARLY_S).toBe(true);
      if (start === end) joined++;
    }
    expect(joined).toBeGreaterThanOrEqual(1); // (a starved start may cost the first join, not all)
    expect(app.recorders.status("synth")).toMatchObject({ state: "recording", restarts: 0, stalled: false });
  });

  test("a network stream on loopback (MPEG-TS over HTTP) is recorded with -c copy", async () => {
    const { port } = await loopbackStream();
    const app = await keeper.start(
      configIn(
        tempDir(),
        `${QUICK}cameras:\n  net-cam:\n    input: http://127.0.0.1:${port}/live.ts\n    segment_time: 1\n`,
      ),
    );
    await until(() => rows(app).length >= 2, 20_000, "stored segments from the network");
    expect(rows(app)[0]!.camera).toBe("net-cam");
  });

  test("a recorder whose ffmpeg dies is restarted; failures back off exponentially", async () => {
    const dir = tempDir();
    const cache = join(dir, "cache");
    const good = new Recorder(
      "synth",
      {
        input: "testsrc2=size=96x64:rate=10",
        segmentTime: 1,
        inputArgs: ["-re", "-f", "lavfi"],
        outputArgs: ["-c:v", "libx264", "-preset", "ultrafast"],
      },
      cache,
    );
    good.start();
    children.push({ kill: () => void good.stop(0) });
    await until(() => good.status().pid !== null, 20_000, "recording");
    const first = good.status().pid!;
    process.kill(first, "SIGKILL");
    await until(() => good.status().pid !== null && good.status().pid !== first, 5_000, "restarted");
    expect(good.status()).toMatchObject({ state: "recording", restarts: 1, lastExit: { signal: "SIGKILL" } });

    // A bad input exits at once: restarts come after 1 s, 2 s, 4 s … — on simulated clocks, so
    // the test waits no second of them, and sees each wait exactly.
    const clocks = new SimulatedClocks(Date.now() / 1000);
    const bad = new Recorder(
      "bad",
      { input: join(dir, "missing.mp4"), segmentTime: 1, inputArgs: [], outputArgs: [] },
      cache,
      { clocks },
    );
    bad.start();
    children.push({ kill: () => void bad.stop(0) });
    for (const [restarts, waitMs] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
      [4, 8_000],
    ] as const) {
      await until(
        () => bad.status().restarts === restarts && clocks.waiting === 1,
        10_000,
        `ffmpeg's exit number ${restarts}`,
      );
      expect(bad.status()).toMatchObject({ state: "waiting to restart", pid: null });
      await clocks.advance(waitMs - 1);
      expect(bad.status().restarts).toBe(restarts); // not a millisecond early
      expect(clocks.waiting).toBe(1);
      await clocks.advance(1);
    }
    expect(bad.status().lastMessage).toContain("No such file");
    expect(bad.status().restartsLastHour).toBeGreaterThanOrEqual(4);
    await clocks.advance(3_600_000); // an hour on: the restarts of the last hour are forgotten
    expect(bad.status().restartsLastHour).toBeLessThanOrEqual(1);
  });

  test("a source that stops sending trips the watchdog, and health says so", async () => {
    const { port, server } = await loopbackStream();
    const app = await keeper.start(
      configIn(
        tempDir(),
        `${QUICK}cameras:\n  frozen:\n    input: http://127.0.0.1:${port}/live.ts\n    input_args: ["-analyzeduration", "500000", "-probesize", "50000"]\n    segment_time: 1\n`,
      ),
      { recorder: { watchdogMs: 4_000 } },
    );
    await until(() => readdirSync(app.config.cacheDir).length > 0, 20_000, "recording");
    server.kill("SIGSTOP"); // still connected, sends nothing
    await until(() => (app.recorders.status("frozen")?.stalls ?? 0) >= 1, 15_000, "the watchdog to act");
    expect(app.recorders.status("frozen")!.stalled).toBe(true);
    let health: unknown;
    await until(
      async () => {
        health = await (await fetch(`${app.url}/healthz`)).json();
        return JSON.stringify(health).includes("stalled");
      },
      10_000,
      "/healthz to say so (it refreshes every 5 s)",
    );
    expect(health).toEqual({
      status: "unhealthy",
      reasons: ["1 camera(s) stalled: no new segment from the recorder"],
    });
    server.kill("SIGCONT");
  });

  test("SIGTERM to camkeep's whole process group: the final segment is closed validly and stored before exit", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "c.yml"),
      `api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 } }\ncameras:\n  synth:\n    segment_time: 60\n    ${LAVFI}\n`,
    );
    // detached: camkeep leads its own process group, so -pid signals all of it, as Ctrl-C or `timeout` would.
    const keeper = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "c.yml")], {
      detached: true,
      stderr: "pipe",
    });
    const cache = join(dir, "data/cache");
    await until(
      () => existsSync(cache) && readdirSync(cache).some((f) => f.endsWith(".mp4")),
      20_000,
      "a segment being written",
    );
    await Bun.sleep(2_000); // some footage encoded (ffmpeg buffers it: the file shows nothing yet)
    process.kill(-keeper.pid, "SIGTERM");
    expect(await keeper.exited).toBe(0);
    expect(readdirSync(cache).filter((f) => f.endsWith(".mp4"))).toEqual([]); // stored at stop, not left on a tmpfs
    const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
    const stored = db.query("SELECT path, unjudged FROM recordings").all() as {
      path: string;
      unjudged: number;
    }[];
    db.close();
    expect(stored).toHaveLength(1);
    expect(await ffprobeDuration(stored[0]!.path)).toBeGreaterThan(1); // closed properly: its index was written
    expect(readdirSync(join(dir, "data/run"))).toEqual([]); // pid file removed
  });

  test("credentials never reach logs, status or metrics", async () => {
    const port = freePort(); // nothing listens: the recorder fails and retries
    const app = await keeper.start(
      configIn(
        tempDir(),
        `${QUICK}cameras:\n  door:\n    input: rtsp://admin:hunter2secret@127.0.0.1:${port}/stream\n`,
      ),
    );
    await until(() => app.recorders.status("door")?.lastMessage !== null, 10_000, "a failure message");
    const auth = { headers: { authorization: `Bearer ${app.token}` } };
    const status = await (await fetch(`${app.url}/api/status`, auth)).text();
    const metrics = await (await fetch(`${app.url}/metrics`, auth)).text();
    expect(status).toContain("rtsp://***@127.0.0.1");
    for (const text of [status, metrics]) expect(text).not.toContain("hunter2secret");
  });

  test("a recorder left running by a killed camkeep is ended (SIGINT: its last segment valid) before a new one starts", async () => {
    const dir = tempDir();
    const cache = join(dir, "cache");
    mkdirSync(cache, { recursive: true });
    const rec = {
      input: "testsrc2=size=96x64:rate=10",
      segmentTime: 1,
      inputArgs: ["-re", "-f", "lavfi"],
      outputArgs: ["-c:v", "libx264", "-preset", "ultrafast"],
    };
    const first = new Recorder("synth", rec, cache);
    first.start();
    children.push({ kill: () => void first.stop(0) });
    await until(() => readdirSync(cache).some((f) => f.endsWith(".mp4")), 20_000, "ffmpeg writing");
    const orphan = first.status().pid!;
    // camkeep "killed": its Recorder object is gone, ffmpeg (own session) lives on.
    const second = new Recorder("synth", rec, cache);
    const newest = () =>
      readdirSync(cache)
        .filter((f) => f.endsWith(".mp4"))
        .sort()
        .at(-1) ?? "";
    let lastOfOrphan = newest();
    const watching = setInterval(() => {
      if (alive(orphan))
        lastOfOrphan =
          readdirSync(cache)
            .filter((f) => f.endsWith(".mp4"))
            .sort()
            .at(-1) ?? "";
    }, 20);
    second.start();
    children.push({ kill: () => void second.stop(0) });
    await until(() => !alive(orphan), 12_000, "the orphan ended");
    clearInterval(watching);
    // Ended as stopping ends one (SIGINT): the segment it was writing closed as a valid file —
    // and still so once the new recorder writes its own (segments are named by the second they
    // start: one started in the same second would be written over the orphan's last).
    expect(lastOfOrphan).not.toBe("");
    const hash = () => Bun.hash(readFileSync(join(cache, lastOfOrphan))).toString();
    const closed = hash();
    const countAfter = () => readdirSync(cache).filter((f) => f.endsWith(".mp4") && f > lastOfOrphan).length;
    await until(() => second.status().pid !== null && countAfter() >= 2, 20_000, "the new recorder writing");
    expect(hash()).toBe(closed);
    expect(await ffprobeDuration(join(cache, lastOfOrphan))).toBeGreaterThan(0);
  });
});
