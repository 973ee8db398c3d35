import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import {
  cameraSegment,
  configIn,
  keepers,
  recordingRows,
  runTool,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

/**
 * Time-lapse (docs/api.md#time-lapse): a span's stored key frames, evenly spaced, without
 * re-encoding — checked against the stored segments' own key frames with ffprobe, and decoded by
 * ffmpeg; answered like a clip (Content-Length, Range, ETag, HEAD).
 */
const keeper = keepers();
const T0 = Math.floor(Date.now() / 1000) - 3 * 3600;

/** Sizes of a file's video key frames, in order (ffprobe). */
async function keyframeSizes(path: string): Promise<number[]> {
  const { out } = await runTool([
    ...["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=size,flags,pts_time"],
    ...["-of", "csv=p=0", path],
  ]);
  return out
    .trim()
    .split("\n")
    .map((l) => l.split(","))
    .filter(([, , flags]) => flags?.startsWith("K"))
    .map(([, size]) => Number(size));
}

describe("time-lapse", () => {
  test("the stored key frames of the span, in order, evenly spaced; a clip's answers; ffmpeg decodes it", async () => {
    const dir = tempDir();
    const app = await keeper.start(
      configIn(
        dir,
        "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  yard: {}\n",
      ),
    );
    mkdirSync(app.config.cacheDir, { recursive: true });
    // A minute of footage: 2 s segments, a key frame a second (each segment's picture its own).
    for (let n = 0; n < 30; n++)
      cameraSegment(join(app.config.cacheDir, segmentName("yard", T0 + 2 * n)), {
        seconds: 2,
        n,
        audio: true,
      });
    await until(() => recordingRows(app.db).length === 30, 60_000, "the segments stored");
    const rows = recordingRows(app.db);
    const stored: number[] = [];
    for (const r of rows) stored.push(...(await keyframeSizes(r.path)));
    expect(stored).toHaveLength(60);
    const get = (query: string, init: RequestInit = {}) =>
      fetch(`${app.url}/api/cameras/yard/timelapse.mp4?${query}`, {
        ...init,
        headers: { authorization: `Bearer ${app.token}`, ...(init.headers ?? {}) },
      });

    // 50×: a key frame every 2 s of the span, 25 a second: every other stored key frame.
    const res = await get(`start=${T0}&end=${T0 + 60}&speed=50`);
    expect(res.status).toBe(200);
    const length = Number(res.headers.get("content-length"));
    const file = join(dir, "timelapse.mp4");
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    expect(Bun.file(file).size).toBe(length);
    const { out } = await runTool([
      ...["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=size,pts_time,flags"],
      ...["-of", "csv=p=0", file],
    ]);
    const packets = out
      .trim()
      .split("\n")
      .map((l) => l.split(","))
      .map(([pts, size, flags]) => ({ pts: Number(pts), size: Number(size), key: flags!.startsWith("K") }));
    expect(packets.map((p) => p.size)).toEqual(stored.filter((_, i) => i % 2 === 0));
    expect(packets.every((p) => p.key)).toBe(true);
    for (let i = 1; i < packets.length; i++)
      expect(packets[i]!.pts - packets[i - 1]!.pts).toBeCloseTo(0.04, 3);
    // ffmpeg decodes every frame of it.
    const decoded = await runTool(["ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"]);
    expect(decoded.err).toBe("");
    expect(decoded.code).toBe(0);

    // duration= gives the speed; a clip's answers: HEAD, Range, the same ETag for the same request.
    const short = await get(`start=${T0}&end=${T0 + 60}&duration=1`); // 60× for a second of result
    expect(short.status).toBe(200);
    const head = await get(`start=${T0}&end=${T0 + 60}&speed=50`, { method: "HEAD" });
    expect(Number(head.headers.get("content-length"))).toBe(length);
    expect(head.headers.get("etag")).toBe(res.headers.get("etag"));
    const ranged = await get(`start=${T0}&end=${T0 + 60}&speed=50`, { headers: { range: "bytes=100-199" } });
    expect(ranged.status).toBe(206);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(
      new Uint8Array(await Bun.file(file).slice(100, 200).arrayBuffer()),
    );
    // It plays in Chromium, start to end: as many frames as it holds, at 25 a second.
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${app.url}/#token=${encodeURIComponent(app.token)}`);
      await page.waitForSelector(".cameras li");
      const played = await page.evaluate(
        async (src) => {
          const video = document.createElement("video");
          video.muted = true;
          video.src = src;
          document.body.append(video);
          await new Promise((ok, fail) => {
            video.onended = ok;
            video.onerror = () => fail(new Error(`media error ${video.error?.code}`));
            void video.play();
          });
          return { duration: video.duration, width: video.videoWidth };
        },
        `/api/cameras/yard/timelapse.mp4?start=${T0}&end=${T0 + 60}&speed=50`,
      );
      expect(played.duration).toBeCloseTo(packets.length / 25, 1);
      expect(played.width).toBe(320);
    } finally {
      await browser.close();
    }
    // Bad requests are named.
    const bad = await get(`start=${T0}&end=${T0 + 60}`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("give either speed");
    expect((await get(`start=${T0}&end=${T0 + 60}&speed=5`)).status).toBe(400);
    expect((await get(`start=${T0 - 7200}&end=${T0 - 3600}&speed=100`)).status).toBe(404);
  }, 120_000);
});
