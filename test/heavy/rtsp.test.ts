import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { App } from "../../src/app.ts";
import {
  ROOT,
  configIn,
  freePort,
  keepers,
  recordingRows,
  tempDir,
  until,
  videoStreamFields,
} from "../helpers.ts";

/**
 * camkeep's own recorder against a real RTSP camera: Debian's GStreamer RTSP server
 * (test/fixtures/rtsp-camera.py) serving a live H.264 stream over TCP, made to misbehave as
 * cameras do — stalling with the connection open, dropping off, coming back at another size,
 * sending key frames every 8 s, asking for a password.
 */
const keeper = keepers({ after: "each" });
const servers: Subprocess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.kill("SIGKILL");
});

/** Starts the RTSP camera; resolves once it listens. */
async function rtspCamera(port: number, size = "320x180", keyframeSeconds = 1, auth?: [string, string]) {
  const p = Bun.spawn(
    [
      "/usr/bin/python3",
      join(ROOT, "test/fixtures/rtsp-camera.py"),
      String(port),
      size,
      String(keyframeSeconds),
      ...(auth ?? []),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  servers.push(p);
  const reader = p.stdout.getReader();
  const first = await Promise.race([reader.read(), Bun.sleep(10_000).then(() => undefined)]);
  if (!first || !new TextDecoder().decode(first.value).includes("ready"))
    throw new Error(`the RTSP camera did not start: ${await new Response(p.stderr).text()}`);
  reader.releaseLock();
  return p;
}

async function keeperFor(port: number, extra = "", path = "stream"): Promise<App> {
  return await keeper.start(
    configIn(
      tempDir(),
      `api: { listen: 127.0.0.1:0 }
record: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 1, pre_capture: 0 } }
cameras:
  cam:
    input: rtsp://${extra}127.0.0.1:${port}/${path}
    segment_time: 2
`,
    ),
  );
}

const stored = (app: App) => recordingRows(app.db).length;

describe("a real RTSP camera", () => {
  test("it stalls with the connection open (SIGSTOP): the recorder notices, and records again soon after it resumes", async () => {
    const port = freePort();
    const server = await rtspCamera(port);
    const app = await keeperFor(port);
    await until(() => stored(app) >= 2, 30_000, "the first segments stored");
    expect(app.recorders.status("cam")).toMatchObject({ connected: true, stalledSince: null });
    server.kill("SIGSTOP");
    const stoppedAt = performance.now();
    await until(
      () => app.recorders.status("cam")!.state !== "recording" || app.recorders.status("cam")!.restarts > 0,
      40_000,
      "the recorder to notice the stall",
    );
    const noticed = (performance.now() - stoppedAt) / 1000;
    const before = stored(app);
    await Bun.sleep(5000);
    server.kill("SIGCONT");
    const resumedAt = performance.now();
    await until(() => stored(app) > before + 1, 60_000, "recording to resume");
    const resumed = (performance.now() - resumedAt) / 1000;
    console.log(
      `stall noticed after ${noticed.toFixed(1)} s; recording again ${resumed.toFixed(1)} s after the camera resumed (target ≤ 30 s)`,
    );
    expect(resumed).toBeLessThanOrEqual(30);
    const s = app.recorders.status("cam")!;
    expect(s.restartsLastHour).toBeGreaterThanOrEqual(1);
    expect(s.connected).toBe(true);
  }, 150_000);

  test("it drops off and comes back 30 s later: recording resumes by itself", async () => {
    const port = freePort();
    let server = await rtspCamera(port);
    const app = await keeperFor(port);
    await until(() => stored(app) >= 2, 30_000, "the first segments stored");
    server.kill("SIGKILL");
    await until(
      () => app.recorders.status("cam")!.problem !== null,
      30_000,
      "the recorder to say the camera is gone",
    );
    expect(app.recorders.status("cam")!.problem).toMatch(/cannot reach the camera|no answer from the camera/);
    await Bun.sleep(30_000);
    const before = stored(app);
    server = await rtspCamera(port);
    const back = performance.now();
    await until(() => stored(app) > before + 1, 90_000, "recording to resume");
    console.log(
      `recording again ${((performance.now() - back) / 1000).toFixed(1)} s after the camera came back`,
    );
    expect(app.recorders.status("cam")!.connected).toBe(true);
  }, 180_000);

  test("it comes back at another size: the new segments are valid and stored", async () => {
    const port = freePort();
    let server = await rtspCamera(port, "320x180");
    const app = await keeperFor(port);
    await until(() => stored(app) >= 2, 30_000, "the first segments stored");
    server.kill("SIGKILL");
    server = await rtspCamera(port, "480x270");
    const sizes = () =>
      Promise.all(recordingRows(app.db).map((r) => videoStreamFields(r.path, "width,height")));
    await until(
      async () => (await sizes()).filter((s) => s === "480,270").length >= 2,
      60_000,
      "segments at the new size",
    );
    expect(new Set(await sizes())).toEqual(new Set(["320,180", "480,270"]));
  }, 120_000);

  test("key frames only every 8 s: segments are still cut (at key frames), stored and analysed, marked sparse", async () => {
    const port = freePort();
    await rtspCamera(port, "320x180", 8);
    const app = await keeperFor(port);
    await until(() => stored(app) >= 2, 60_000, "segments stored");
    const rows = recordingRows(app.db);
    for (const r of rows) expect(r.duration).toBeGreaterThan(6); // a segment lasts from key frame to key frame
    const status = await (
      await fetch(`${app.url}/api/status`, { headers: { authorization: `Bearer ${app.token}` } })
    ).json();
    expect(status.cameras.cam.motion.sparse_keyframes).toBe(true);
    expect(status.cameras.cam.motion.frames_analysed).toBeGreaterThan(0);
  }, 90_000);

  test("it asks for a password the recorder lacks: a clear reason, no storm of restarts", async () => {
    const port = freePort();
    await rtspCamera(port, "320x180", 1, ["admin", "s3cret"]);
    const app = await keeperFor(port, "admin:wrong@");
    await until(() => app.recorders.status("cam")!.problem !== null, 20_000, "the reason");
    expect(app.recorders.status("cam")!.problem).toBe(
      "the camera refused the user name or password (RTSP 401)",
    );
    expect(app.recorders.status("cam")!.lastMessage).not.toContain("wrong"); // credentials hidden
    await Bun.sleep(15_000);
    expect(app.recorders.status("cam")!.restartsLastHour).toBeLessThanOrEqual(5); // 1 s, 2 s, 4 s, 8 s …
    expect(stored(app)).toBe(0);
    // With the right password it records.
    const good = await keeperFor(port, "admin:s3cret@");
    await until(() => stored(good) >= 1, 30_000, "segments with the right password");
  }, 90_000);
});
