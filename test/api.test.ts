import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { startApp, type App } from "../src/app.ts";
import { insertRecordings } from "../src/db/recordings.ts";
import { storagePath } from "../src/storage/layout.ts";
import { claimVolume, VOLUME_MARKER } from "../src/storage/volume.ts";
import {
  childCommands,
  configIn,
  ffprobeDuration,
  putSegment,
  segmentFile,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

/** A real camkeep on an ephemeral port, with footage stored by its own maintainer. */
let app: App;
let dir: string;
const T0 = Math.floor(Date.now() / 1000) - 600; // first segment's start
const SEGMENTS = 6; // 2 s each: T0 … T0+12

const call = (path: string, init: RequestInit & { token?: string | null } = {}) => {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? app.token : init.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  return fetch(`${app.url}${path}`, { ...init, headers });
};
/** The JSON of an answer, typed loosely: tests inspect it freely. */
const answer = async (
  res: Response | Promise<Response>,
): // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON each route answers
Promise<any> => (await res).json();
const json = (path: string, method: string, body: unknown) =>
  call(path, {
    method,
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });

beforeAll(async () => {
  dir = tempDir();
  const config = configIn(
    dir,
    `api: { listen: 127.0.0.1:0 }
record: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }
cameras:
  front-door: {}
  back_yard: { record: { retain: { days: 1, mode: motion } } }
`,
  );
  for (let i = 0; i < SEGMENTS; i++)
    await putSegment(config.cacheDir, segmentName("front-door", T0 + i * 2), 2, (T0 + i * 2 + 2) * 1000);
  app = await startApp(config);
  await until(
    () => readdirSync(config.cacheDir).length === 0,
    10_000,
    "the keeper to store the test segments",
  );
});
afterAll(async () => {
  await app.stop();
});

describe("health and auth", () => {
  test("/healthz needs no token and says ok", async () => {
    const res = await call("/healthz", { token: null });
    expect(res.status).toBe(200);
    expect(await answer(res)).toEqual({ status: "ok" });
  });
  test("/healthz is 503 with a reason when storage is unmounted, naming no camera or path", async () => {
    unlinkSync(join(app.config.recordingsDir, VOLUME_MARKER));
    try {
      app.health.refresh(); // the timer would, within 5 s
      const res = await call("/healthz", { token: null });
      expect(res.status).toBe(503);
      const body = await answer(res);
      expect(body).toEqual({
        status: "unhealthy",
        reasons: ["storage not mounted: its volume marker is missing"],
      });
      expect(JSON.stringify(body)).not.toContain(dir);
    } finally {
      claimVolume(app.db, app.config.recordingsDir, 0);
      app.health.refresh();
    }
  });
  test("health, status and metrics answer from state refreshed on a timer: no disk write per request (docs/design.md#crash-safety)", async () => {
    const own = await startApp(configIn(tempDir(), "api: { listen: 127.0.0.1:0 }\n"));
    try {
      const wal = `${own.config.database}-wal`;
      const before = { wal: statSync(wal).size, storage: statSync(own.config.recordingsDir).mtimeMs };
      for (let i = 0; i < 50; i++) {
        for (const path of ["/healthz", "/api/status", "/metrics"]) {
          expect(
            (await fetch(`${own.url}${path}`, { headers: { authorization: `Bearer ${own.token}` } })).status,
          ).toBe(200);
        }
      }
      // Today's code wrote a row (a WAL frame) and created and removed a file in storage per request.
      expect({ wal: statSync(wal).size, storage: statSync(own.config.recordingsDir).mtimeMs }).toEqual(
        before,
      );
    } finally {
      await own.stop();
    }
  });
  test("every other route needs the bearer token", async () => {
    for (const path of ["/api/status", "/metrics", "/api/events", "/api/cameras/front-door/recordings"]) {
      expect((await call(path, { token: null })).status).toBe(401);
      expect((await call(path, { token: "wrong-token-wrong-token" })).status).toBe(401);
      expect((await call(path)).status).toBe(200);
    }
    const res = await call("/api/status", { token: null });
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    expect(await answer(res)).toEqual({ error: "missing Authorization: Bearer <token> header" });
  });
  test("the token file was created with mode 0600", () => {
    expect(statSync(app.config.api.tokenFile).mode & 0o777).toBe(0o600);
  });
  test("the page logs in once: a random session id in an HttpOnly, SameSite=Strict cookie of this camkeep's own name", async () => {
    const wrong = await fetch(`${app.url}/api/login`, {
      method: "POST",
      body: JSON.stringify({ token: "nope" }),
      headers: { "content-type": "application/json" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const ok = await fetch(`${app.url}/api/login`, {
      method: "POST",
      body: JSON.stringify({ token: app.token }),
      headers: { "content-type": "application/json" },
    });
    expect(ok.status).toBe(204);
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^camkeep_[0-9a-f]{8}=/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure"); // plain HTTP here
    expect(cookie).not.toContain(app.token); // the session is its own secret, not the API token
    const session = cookie.split(";")[0]!;
    expect((await fetch(`${app.url}/api/status`, { headers: { cookie: session } })).status).toBe(200);
    expect(
      (
        await fetch(`${app.url}/api/status`, {
          headers: { cookie: `${session.split("=")[0]}=forged-value-forged` },
        })
      ).status,
    ).toBe(401);
    const out = await fetch(`${app.url}/api/logout`, { method: "POST", headers: { cookie: session } });
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await fetch(`${app.url}/api/status`, { headers: { cookie: session } })).status).toBe(401); // revoked on the server, not only forgotten by the browser
  });
  test("the page itself needs no token (it asks for one)", async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="app">');
  });
  test("the page links its icon, which answers (no /favicon.ico 404 on every load)", async () => {
    const html = await (await fetch(`${app.url}/`)).text();
    const href = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    const res = await fetch(new URL(href!, `${app.url}/`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("image/svg+xml");
    expect(await res.text()).toStartWith("<svg");
  });
  test("unknown routes are JSON 404s", async () => {
    const res = await call("/api/nothing");
    expect(res.status).toBe(404);
    expect(await answer(res)).toEqual({ error: "not found" });
  });
});

describe("status and metrics", () => {
  test("/api/status reports each camera's footage", async () => {
    const s = await answer(call("/api/status"));
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.health).toEqual({ status: "ok", reasons: [] });
    expect(s.cameras["front-door"]).toMatchObject({
      configured: true,
      recording: true,
      stored: SEGMENTS,
      segments_kept: SEGMENTS,
      cache_backlog: 0,
      last_segment_start: T0 + 10,
    });
    expect(s.cameras["front-door"].bytes_kept).toBeGreaterThan(0);
    expect(s.cameras["front-door"].hours_kept).toBeCloseTo((SEGMENTS * 2) / 3600, 2);
    expect(s.cameras.back_yard).toMatchObject({
      configured: true,
      segments_kept: 0,
      last_segment_start: null,
    });
    // camkeep judged the motion of each segment from its key frames (a picture a second).
    expect(s.cameras["front-door"].motion).toMatchObject({
      judged: true,
      frames_analysed: SEGMENTS * 2,
      failures: 0,
      sparse_keyframes: false,
    });
    // The last segment ended at T0 + 12, some 588 s before the keeper first saw it: that is its lag.
    expect(s.cameras["front-door"].motion.lag_s).toBeGreaterThan(580);
    expect(s.cameras["front-door"].motion.lag_s).toBeLessThanOrEqual(Date.now() / 1000 - (T0 + 12) + 1);
    expect(s.storage.volume_free_bytes).toBeGreaterThan(0);
    expect(s.maintainer.passes).toBeGreaterThan(0);
    expect(s.expiry).toEqual({ last_run: null, runs: 0, skipped: {} }); // hourly: not yet run
  });
  test("/metrics is Prometheus text with per-camera series", async () => {
    const res = await call("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain(`camkeep_segments_stored_total{camera="front-door"} ${SEGMENTS}`);
    expect(text).toMatch(/camkeep_stored_bytes\{camera="front-door"\} \d+/);
    expect(text).toContain('camkeep_cache_backlog_segments{camera="front-door"} 0');
    expect(text).toMatch(/camkeep_maintainer_pass_seconds_count \d+/);
    expect(text).toMatch(/camkeep_storage_free_bytes \d+/);
    expect(text).toContain("camkeep_healthy 1");
    expect(text).toContain(`camkeep_motion_frames_analysed_total{camera="front-door"} ${SEGMENTS * 2}`);
    expect(text).toContain('camkeep_motion_analysis_failures_total{camera="front-door"} 0');
    expect(text).toMatch(/camkeep_motion_analysis_lag_seconds\{camera="front-door"\} [\d.]+/);
    expect(text).toContain("camkeep_expiry_runs_total 0");
    expect(text).toContain("camkeep_disk_protection_freed_bytes_total 0");
  });
});

describe("events", () => {
  test("carry a severity and the zones entered (docs/configuration.md), validated", async () => {
    const made = await answer(
      json("/api/events", "POST", {
        camera: "front-door",
        label: "person",
        start_time: T0,
        end_time: T0 + 4,
        severity: "detection",
        zones: ["yard"],
      }),
    );
    expect(await answer(call(`/api/events/${made.id}`))).toMatchObject({
      severity: "detection",
      zones: ["yard"],
    });
    expect(await answer(json(`/api/events/${made.id}`, "PATCH", { severity: "alert" }))).toMatchObject({
      severity: "alert",
    });
    const bad = await json("/api/events", "POST", {
      camera: "front-door",
      label: "person",
      start_time: T0,
      severity: "urgent",
    });
    expect(bad.status).toBe(400);
    expect((await answer(bad)).details.severity).toBeDefined();
    await call(`/api/events/${made.id}`, { method: "DELETE" });
  });
  test("create, read, update, list and delete", async () => {
    const created = await json("/api/events", "POST", {
      camera: "front-door",
      label: "person",
      start_time: T0 + 1,
    });
    expect(created.status).toBe(201);
    const { id } = await answer(created);
    expect(id).toMatch(/^\d+(\.\d+)?-[a-z0-9]{6}$/);
    expect(await answer(call(`/api/events/${id}`))).toMatchObject({
      camera: "front-door",
      end_time: null,
      has_clip: true,
      retain_indefinitely: false,
    });

    const patched = await json(`/api/events/${id}`, "PATCH", { end_time: T0 + 3, retain_indefinitely: true });
    expect(patched.status).toBe(200);
    expect(await answer(patched)).toMatchObject({ end_time: T0 + 3, retain_indefinitely: true });

    await json("/api/events", "POST", {
      id: "car-1",
      camera: "back_yard",
      label: "car",
      start_time: T0 + 100,
      end_time: T0 + 110,
    });
    const byCamera = await answer(call("/api/events?camera=front-door"));
    expect(byCamera.map((e: { id: string }) => e.id)).toEqual([id]);
    const byLabel = await answer(call("/api/events?label=car"));
    expect(byLabel.map((e: { id: string }) => e.id)).toEqual(["car-1"]);
    expect((await answer(call(`/api/events?after=${T0 + 50}`))).map((e: { id: string }) => e.id)).toEqual([
      "car-1",
    ]);
    expect((await answer(call(`/api/events?before=${T0 + 50}`))).map((e: { id: string }) => e.id)).toEqual([
      id,
    ]);

    expect((await call(`/api/events/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/events/${id}`, { method: "DELETE" })).status).toBe(404);
    expect((await json(`/api/events/${id}`, "PATCH", { label: "x" })).status).toBe(404);
  });
  test("a duplicate id is a conflict", async () => {
    await json("/api/events", "POST", { id: "dup", camera: "x", label: "y", start_time: 1 });
    expect(
      (await json("/api/events", "POST", { id: "dup", camera: "x", label: "y", start_time: 1 })).status,
    ).toBe(409);
  });
  test("an event for a camera that is not configured is accepted", async () => {
    expect(
      (await json("/api/events", "POST", { camera: "removed_cam", label: "person", start_time: T0 })).status,
    ).toBe(201);
  });
  test("bad bodies get a 400 naming each field", async () => {
    const res = await json("/api/events", "POST", {
      camera: "../etc",
      label: "",
      start_time: "soon",
      colour: "red",
    });
    expect(res.status).toBe(400);
    const body = await answer(res);
    expect(body.error).toBe("invalid request");
    expect(Object.keys(body.details).sort()).toEqual(["camera", "colour", "label", "start_time"]);
    const backwards = await json("/api/events", "POST", {
      camera: "c",
      label: "l",
      start_time: 10,
      end_time: 5,
    });
    expect((await answer(backwards)).details).toEqual({ end_time: "must not be before start_time" });
  });
  test("malformed JSON and oversized bodies are refused", async () => {
    const bad = await json("/api/events", "POST", "{not json");
    expect(bad.status).toBe(400);
    expect((await answer(bad)).error).toContain("JSON");
    const huge = await json("/api/events", "POST", {
      camera: "c",
      label: "x".repeat(100_000),
      start_time: 1,
    });
    expect(huge.status).toBe(413);
  });
  test("bad query values are named", async () => {
    const res = await call("/api/events?after=yesterday&limit=0");
    expect(res.status).toBe(400);
    expect(Object.keys((await answer(res)).details).sort()).toEqual(["after", "limit"]);
  });
});

describe("activity", () => {
  test("frames for a recording camera are accepted; others are ignored and counted", async () => {
    const frames = [
      {
        frame_time: T0 + 1,
        objects: [{ label: "person", false_positive: false, motionless_count: 0 }],
        motion_boxes: [[0, 0, 10, 10]],
        regions: [],
      },
    ];
    const ok = await json("/api/activity", "POST", { camera: "back_yard", frames });
    expect(ok.status).toBe(202);
    expect(await answer(ok)).toEqual({ accepted: 1, ignored: 0 });
    const ignored = await json("/api/activity", "POST", { camera: "nobody", frames });
    expect(await answer(ignored)).toMatchObject({ accepted: 0, ignored: 1 });
    expect(await (await call("/metrics")).text()).toContain("camkeep_activity_ignored_frames_total 1");
  });
  test("malformed frames are named", async () => {
    const res = await json("/api/activity", "POST", {
      camera: "back_yard",
      frames: [{ frame_time: -1, motion_boxes: [[1, 2]] }],
    });
    expect(res.status).toBe(400);
    expect(Object.keys((await answer(res)).details).sort()).toEqual([
      "frames.0.frame_time",
      "frames.0.motion_boxes.0",
    ]);
  });
});

describe("recordings", () => {
  test("listed by range, ordered by start, without paths", async () => {
    const all = await answer(call("/api/cameras/front-door/recordings"));
    expect(all.map((r: { start_time: number }) => r.start_time)).toEqual(
      Array.from({ length: SEGMENTS }, (_, i) => T0 + i * 2),
    );
    expect(Object.keys(all[0]).sort()).toEqual([
      "camera",
      "duration",
      "end_time",
      "id",
      "motion",
      "objects",
      "segment_size",
      "start_time",
      "tier",
    ]);
    const some = await answer(call(`/api/cameras/front-door/recordings?after=${T0 + 3}&before=${T0 + 6}`));
    expect(some.map((r: { start_time: number }) => r.start_time)).toEqual([T0 + 2, T0 + 4, T0 + 6]);
    expect((await call(`/api/cameras/front-door/recordings?after=10&before=5`)).status).toBe(400);
  });
  test("quarter hours of a range, from the rollups (what the page's day view reads)", async () => {
    const buckets = await answer(
      call(`/api/cameras/front-door/recordings/buckets?after=${T0 - 3600}&before=${T0 + 3600}`),
    );
    expect(buckets.reduce((n: number, b: { segments: number }) => n + b.segments, 0)).toBe(SEGMENTS);
    expect(buckets.every((b: { bucket: number }) => b.bucket % 900 === 0)).toBe(true);
    expect(
      (await call(`/api/cameras/front-door/recordings/buckets?after=${T0}&before=${T0 - 1}`)).status,
    ).toBe(400);
  });
  test("summary per local day and hour", async () => {
    const days = await answer(call("/api/cameras/front-door/recordings/summary?timezone=UTC"));
    const hours = days.flatMap((d: { hours: { duration: number }[] }) => d.hours);
    expect(hours.reduce((s: number, h: { duration: number }) => s + h.duration, 0)).toBeCloseTo(
      SEGMENTS * 2,
      1,
    );
    expect((await call("/api/cameras/front-door/recordings/summary?timezone=Mars/Base")).status).toBe(400);
  });
  test("summary of a DST fall-back day has 25 hours, and a half-hour zone splits UTC hours", async () => {
    const day = Date.parse("2026-10-24T22:00:00Z") / 1000; // 00:00 in Berlin (CEST)
    const rows = Array.from({ length: 25 }, (_, h) => ({
      id: `${day + h * 3600}-dstdst`,
      camera: "dst-cam",
      path: `/nowhere/${h}.mp4`,
      start_time: day + h * 3600,
      end_time: day + h * 3600 + 60,
      duration: 60,
      motion: 1,
      objects: 0,
      segment_size: 1,
    }));
    insertRecordings(app.db, rows);
    const berlin = await answer(call("/api/cameras/dst-cam/recordings/summary?timezone=Europe/Berlin"));
    expect(berlin.map((d: { day: string }) => d.day)).toEqual(["2026-10-25"]);
    expect(berlin[0].hours.map((h: { hour: number }) => h.hour)).toEqual([
      0,
      1,
      2,
      2,
      ...Array.from({ length: 21 }, (_, i) => i + 3),
    ]);
    const kolkata = await answer(call("/api/cameras/dst-cam/recordings/summary?timezone=Asia/Kolkata"));
    const first = kolkata[0].hours[0];
    expect(first).toMatchObject({ hour: 3, start: day - 1800, duration: 60 }); // 22:00Z = 03:30 IST, in the 03:00 hour
  });
  test("camera names and ids cannot reach outside storage", async () => {
    for (const path of [
      "/api/cameras/..%2F..%2Fetc/recordings",
      "/api/cameras/%2Fetc%2Fpasswd/clip.mp4?start=1&end=2",
      "/api/recordings/..%2F..%2Fetc%2Fpasswd/file",
      "/api/recordings/%2Fetc%2Fpasswd/file",
    ]) {
      const res = await call(path);
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain("root:");
    }
    // Even a row whose path was tampered with is not served.
    insertRecordings(app.db, [
      {
        id: "1.0-evil00",
        camera: "x",
        path: "/etc/passwd",
        start_time: 1,
        end_time: 2,
        duration: 1,
        motion: 0,
        objects: 0,
        segment_size: 1,
      },
    ]);
    expect((await call("/api/recordings/1.0-evil00/file")).status).toBe(404);
    expect((await call("/api/recordings/1.0-nosuch/file")).status).toBe(404);
  });
});

describe("stored files", () => {
  const first = async () =>
    (await answer(call("/api/cameras/front-door/recordings")))[0] as { id: string; segment_size: number };
  test("the whole file, and HEAD", async () => {
    const r = await first();
    const res = await call(`/api/recordings/${r.id}/file`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect((await res.arrayBuffer()).byteLength).toBe(r.segment_size);
    const head = await call(`/api/recordings/${r.id}/file`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(r.segment_size);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
  test("Range requests: 206 with the slice, 416 past the end", async () => {
    const r = await first();
    const part = await call(`/api/recordings/${r.id}/file`, { headers: { range: "bytes=0-99" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-99/${r.segment_size}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    const tail = await call(`/api/recordings/${r.id}/file`, { headers: { range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const past = await call(`/api/recordings/${r.id}/file`, {
      headers: { range: `bytes=${r.segment_size + 10}-` },
    });
    expect(past.status).toBe(416);
  });
});

describe("export", () => {
  test("a clip across segments is one MP4 of the requested length (± one segment)", async () => {
    const res = await call(`/api/cameras/front-door/clip.mp4?start=${T0 + 1}&end=${T0 + 8}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const out = join(tempDir(), "clip.mp4");
    writeFileSync(out, new Uint8Array(await res.arrayBuffer()));
    const duration = await ffprobeDuration(out);
    expect(Math.abs(duration - 7)).toBeLessThanOrEqual(2);
  });
  test("bad ranges and empty ranges", async () => {
    expect((await call(`/api/cameras/front-door/clip.mp4?start=${T0 + 8}&end=${T0 + 1}`)).status).toBe(400);
    expect((await call(`/api/cameras/front-door/clip.mp4?start=${T0}&end=${T0 + 90_000}`)).status).toBe(400);
    expect((await call(`/api/cameras/front-door/clip.mp4?start=1000&end=2000`)).status).toBe(404);
    expect((await call(`/api/cameras/front-door/clip.mp4?start=${T0}`)).status).toBe(400);
  });
  test("ffmpeg is killed when the client goes away", async () => {
    app.config.media.engine = "ffmpeg"; // every export through ffmpeg (the native one has no process)
    // A long export (3000 segments, ~50 MB: more than socket buffers hold) so that ffmpeg
    // blocks on the unread pipe. Hard links keep it cheap.
    const src = await segmentFile(2);
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const start = T0 - 100_000 + i * 2;
      const path = storagePath(app.config.recordingsDir, "long-cam", start);
      mkdirSync(dirname(path), { recursive: true });
      linkSync(src, path);
      return {
        id: `${start}-long00`,
        camera: "long-cam",
        path,
        start_time: start,
        end_time: start + 2,
        duration: 2,
        motion: 0,
        objects: 0,
        segment_size: 1,
      };
    });
    insertRecordings(app.db, rows);
    // Export ffmpegs that are children of this test process (camkeep runs in it): not machine-wide.
    const exporters = () =>
      childCommands(process.pid).filter(
        (cmd) => cmd.startsWith("ffmpeg") && cmd.includes("concat") && cmd.includes("pipe:0"),
      ).length;
    // A real client in another process that reads slowly, then goes away mid-download.
    const client = Bun.spawn([
      "curl",
      "-sS",
      "--limit-rate",
      "50k",
      "-o",
      "/dev/null",
      "-H",
      `Authorization: Bearer ${app.token}`,
      `${app.url}/api/cameras/long-cam/clip.mp4?start=${T0 - 100_000}&end=${T0 - 100_000 + 6000}`,
    ]);
    await until(() => exporters() > 0, 5_000, "the export's ffmpeg to start");
    await Bun.sleep(500);
    expect(exporters()).toBe(1); // still running: held back by the slow client
    client.kill("SIGKILL");
    await client.exited;
    await until(() => exporters() === 0, 5_000, "the export's ffmpeg to be killed once the client went");
    app.config.media.engine = "native";
  });
});
