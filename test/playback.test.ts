import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { planRuns } from "../src/playback/runs.ts";
import { mimeOf } from "../src/ui/playback/codecs.ts";
import { fragmentAtMedia, fragmentAtWall, readPlaylist } from "../src/ui/playback/playlist.ts";
import {
  cameraSegment,
  configIn,
  keepers,
  logged,
  recordingRows,
  segmentName,
  startS3,
  tempDir,
  until,
  videoStreamFields,
  type S3Server,
} from "./helpers.ts";

/**
 * Footage back as HLS (docs/api.md): real segments (B-frames, AAC, a gap, a resolution change)
 * stored by the keeper, played by ffmpeg through the playlist as any HLS client would.
 */
const keeper = keepers();
const servers: S3Server[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill();
});

const SEG = 2; // seconds a segment
const T0 = Math.floor(Date.now() / 1000) - 3600;
/** Segment starts: four touching, a 10 s gap, two at another resolution (a new init). */
const PLAN = [
  { start: T0, size: "320x240" },
  { start: T0 + 2, size: "320x240" },
  { start: T0 + 4, size: "320x240" },
  { start: T0 + 6, size: "320x240" },
  { start: T0 + 18, size: "320x240" },
  { start: T0 + 20, size: "320x240" },
  { start: T0 + 22, size: "480x270" },
  { start: T0 + 24, size: "480x270" },
];

let app: App;
let dir: string;
const auth = () => `Authorization: Bearer ${app.token}\r\n`;
/** A tool run beside the keeper (asynchronously: the keeper answers it from this process's event loop). */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}
/** ffprobe's values for `entries` of an input, one a line (each stream once: HLS lists them twice). */
const probe = async (entries: string[], input: string) =>
  (await run(["ffprobe", "-v", "error", "-headers", auth(), ...entries, "-of", "csv=p=0", input])).out
    .split("\n")
    .map((l) => l.split(",")[0]!) // (a frame's side data adds fields, and a line of its own)
    .filter((l) => l !== "");
/** Video packets' hashes, in decode order: ffmpeg's framemd5 of an input, copied without decoding. */
const videoPacketHashes = async (input: string[]) =>
  (await run(["ffmpeg", "-v", "error", ...input, "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"])).out
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(",").at(-1)!.trim());

beforeAll(async () => {
  dir = tempDir();
  app = await keeper.start(
    configIn(
      dir,
      "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  gate: {}\n",
    ),
  );
  mkdirSync(app.config.cacheDir, { recursive: true });
  for (const [n, s] of PLAN.entries())
    cameraSegment(join(app.config.cacheDir, segmentName("gate", s.start)), { size: s.size, seconds: SEG, n });
  await until(() => recordingRows(app.db).length === PLAN.length, 30_000, "the keeper to store the segments");
}, 60_000);

const playlistUrl = (start = T0, end = T0 + 30, extra = "") =>
  `${app.url}/api/cameras/gate/vod.m3u8?start=${start}&end=${end}${extra}`;

describe("runs (pure)", () => {
  test("touching segments of one init form a run on one clock; a gap, an overlap or another init starts a new one; one init is named one way", () => {
    const s = (id: string, start: number, duration: number, init = "a") => ({ id, start, duration, init });
    const runs = planRuns([
      s("1", 100, 2.02),
      s("2", 102, 2.0),
      s("3", 104.4, 2),
      s("4", 110, 2),
      s("5", 111.5, 2),
      s("6", 113.5, 2, "b"),
    ]);
    expect(runs.map((r) => r.segments.map((x) => [x.id, Number(x.at.toFixed(3))]))).toEqual([
      [
        ["1", 100],
        ["2", 102.02],
        ["3", 104.02],
      ], // 3 starts 0.38 s after 2 ends: touching, so it follows on the clock
      [["4", 110]],
      [["5", 111.5]], // overlaps 4 by 0.5 s: a new run
      [["6", 113.5]], // another init
    ]);
    // One init, one URL: every run of init "a" names it from the first segment that needs it.
    expect(runs.map((r) => r.initFrom)).toEqual(["1", "1", "1", "6"]);
  });
});

describe("HLS of stored footage", () => {
  test("the playlist: an init per run, PROGRAM-DATE-TIME per fragment, DISCONTINUITY at the gap and the resolution change, ENDLIST", async () => {
    const res = await fetch(playlistUrl(), { headers: { authorization: `Bearer ${app.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    const text = await res.text();
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("#EXTM3U");
    expect(lines.at(-1)).toBe("#EXT-X-ENDLIST");
    expect(lines.filter((l) => l === "#EXT-X-DISCONTINUITY").length).toBe(2);
    const maps = lines.filter((l) => l.startsWith("#EXT-X-MAP:"));
    expect(maps.length).toBe(3);
    expect(new Set(maps.map((m) => /init\/(\w+)\.mp4/.exec(m)![1])).size).toBe(2); // the two resolutions
    const dates = lines
      .filter((l) => l.startsWith("#EXT-X-PROGRAM-DATE-TIME:"))
      .map((l) => Date.parse(l.split(":").slice(1).join(":")) / 1000);
    expect(dates).toEqual(PLAN.map((p) => p.start));
    expect(lines.filter((l) => l.startsWith("../../recordings/")).length).toBe(PLAN.length); // relative URIs
  });

  // Debian's ffmpeg 5.1, as an HLS client, keeps the first init's codec settings at a second
  // EXT-X-MAP: it plays the span up to the resolution change, and the changed run by itself.
  const SPANS = [
    [T0, T0 + 21],
    [T0 + 22, T0 + 26],
  ] as const;

  test("mpv plays the playlist and a clip through, with none of the complaints it had (duplicated moov, invalid audio PTS, errors)", async () => {
    const mpv = (url: string) =>
      run([
        "mpv",
        "--no-config",
        "--untimed",
        "--vo=null",
        "--ao=null",
        "--msg-level=all=warn",
        `--http-header-fields=Authorization: Bearer ${app.token}`,
        url,
      ]);
    for (const url of [
      playlistUrl(T0, T0 + 8),
      `${app.url}/api/cameras/gate/clip.mp4?start=${T0 + 1.5}&end=${T0 + 7}`,
    ]) {
      const played = await mpv(url);
      // What mpv said of these files when segment joins and exports were wrong (and any error);
      // not its general notices (edit lists; A/V sync, which --untimed upsets).
      const said = (played.out + played.err)
        .split("\n")
        .filter((l) =>
          /duplicated MOOV|Invalid audio PTS|Invalid video timestamp|out of order|rror/i.test(l),
        );
      expect({ url, code: played.code, said }).toEqual({
        url,
        code: 0,
        said: [],
      });
    }
  }, 60_000);

  test("ffmpeg plays it through: no decode error, every stored frame exactly once, packets byte-equal, timestamps rising", async () => {
    for (const [a, b] of SPANS) {
      const played = await run([
        "ffmpeg",
        "-v",
        "error",
        "-headers",
        auth(),
        "-i",
        playlistUrl(a, b),
        "-f",
        "null",
        "-",
      ]);
      expect({ span: [a - T0, b - T0], code: played.code, errors: played.err }).toEqual({
        span: [a - T0, b - T0],
        code: 0,
        errors: "",
      });
    }
    const stored = (
      await Promise.all(recordingRows(app.db).map((r) => videoPacketHashes(["-i", r.path])))
    ).flat();
    const fromPlaylist = (
      await Promise.all(
        SPANS.map(([a, b]) => videoPacketHashes(["-headers", auth(), "-i", playlistUrl(a, b)])),
      )
    ).flat();
    expect(stored.length).toBe(PLAN.length * SEG * 10);
    expect(fromPlaylist).toEqual(stored);
    const pts = (
      await probe(["-select_streams", "v", "-show_entries", "frame=pts_time"], playlistUrl(...SPANS[0]))
    ).map(Number);
    expect(pts.length).toBe(6 * SEG * 10);
    expect(pts[0]).toBe(T0);
    // Within a run the pictures follow one another a frame apart, across segment boundaries too;
    // the gap is where the clock jumps.
    const steps = pts.slice(1).map((t, i) => Number((t - pts[i]!).toFixed(3)));
    expect(steps.filter((d) => d !== 0.1)).toEqual([10.1]);
    expect(
      await probe(["-select_streams", "a", "-show_entries", "stream=codec_name"], playlistUrl(...SPANS[0])),
    ).toContain("aac");
  }, 60_000);

  test("the keyframe view: only the key frames (one a second), a fraction of the bytes", async () => {
    const keys = (
      await probe(
        ["-select_streams", "v", "-show_entries", "frame=pts_time"],
        playlistUrl(T0, T0 + 21, "&keys=1"),
      )
    ).map(Number);
    // The key frames of the six segments before the resolution change: one each second of footage.
    expect(keys).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 18, 19, 20, 21].map((s) => T0 + s));
    const headers = { authorization: `Bearer ${app.token}` };
    const base = `${app.url}/api/cameras/gate/`;
    const bytesOf = async (url: string) => {
      const text = await (await fetch(url, { headers })).text();
      const sizes = await Promise.all(
        text
          .split("\n")
          .filter((l) => l.startsWith("../../recordings/"))
          .map(async (u) => (await (await fetch(new URL(u, base), { headers })).arrayBuffer()).byteLength),
      );
      return sizes.reduce((x, y) => x + y, 0);
    };
    expect(
      (await bytesOf(playlistUrl(T0, T0 + 30, "&keys=1"))) / (await bytesOf(playlistUrl())),
    ).toBeLessThan(0.5);
  }, 60_000);

  test("inits are named by their content and cached forever; fragments need the playlist's authentication; bad input is named", async () => {
    const headers = { authorization: `Bearer ${app.token}` };
    const text = await (await fetch(playlistUrl(), { headers })).text();
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)![1]!;
    const url = new URL(init, `${app.url}/api/cameras/gate/`);
    const res = await fetch(url, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    const wrong = new URL(url);
    wrong.pathname = wrong.pathname.replace(/\/\w+\.mp4$/, `/${"0".repeat(24)}.mp4`);
    expect((await fetch(wrong, { headers })).status).toBe(404);
    const fragment = new URL(
      text.split("\n").find((l) => l.startsWith("../../recordings/"))!,
      `${app.url}/api/cameras/gate/`,
    );
    expect((await fetch(fragment)).status).toBe(401);
    const f = await fetch(fragment, { headers });
    expect(f.status).toBe(200);
    const body = new Uint8Array(await f.arrayBuffer());
    expect(new TextDecoder().decode(body.subarray(4, 8))).toBe("moof");
    const bad = await fetch(`${app.url}/api/cameras/gate/vod.m3u8?start=${T0}&end=${T0 - 5}`, { headers });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid request", details: { end: "must be after start" } });
  });

  test("an export with B-frames and AAC: no decode time below zero, audio without holes across its fragments", async () => {
    const headers = { authorization: `Bearer ${app.token}` };
    for (const [from, to] of [
      [T0, T0 + 7],
      [T0 + 1.5, T0 + 5.3],
    ] as const) {
      const res = await fetch(`${app.url}/api/cameras/gate/clip.mp4?start=${from}&end=${to}`, { headers });
      const body = new Uint8Array(await res.arrayBuffer());
      // Every fragment's tfdt (an unsigned 64-bit count): a "negative" one reads as about 2^64.
      const starts = trafs(body).map((f) => f.start);
      expect(starts.length).toBeGreaterThan(3);
      for (const t of starts) expect(t).toBeLessThan(2 ** 40);
      const file = join(dir, "bframes.mp4");
      await Bun.write(file, body);
      // Each track's fragments follow one another: each starts where the last one's samples ended.
      const byTrack = new Map<number, { start: number; ticks: number }[]>();
      for (const f of trafs(body)) byTrack.set(f.track, [...(byTrack.get(f.track) ?? []), f]);
      expect(byTrack.size).toBe(2);
      for (const frags of byTrack.values())
        for (let i = 1; i < frags.length; i++)
          expect(frags[i]!.start).toBe(frags[i - 1]!.start + frags[i - 1]!.ticks);
      const played = await run(["ffmpeg", "-v", "warning", "-i", file, "-f", "null", "-"]);
      expect({ code: played.code, said: played.err }).toEqual({ code: 0, said: "" });
    }
  }, 60_000);

  test("an export is built from the index at once: from the key frame before start, an edit list to start, packets as stored; HEAD, Range, ETag", async () => {
    const headers = { authorization: `Bearer ${app.token}` };
    const url = `${app.url}/api/cameras/gate/clip.mp4?start=${T0 + 1.5}&end=${T0 + 5.3}`;
    const head = await fetch(url, { method: "HEAD", headers });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-camkeep-export")).toBeNull(); // no ffmpeg
    const size = Number(head.headers.get("content-length"));
    const full = await fetch(url, { headers });
    const body = new Uint8Array(await full.arrayBuffer());
    expect(body.length).toBe(size);
    expect(full.headers.get("etag")).toBe(head.headers.get("etag"));
    const file = join(dir, "clip.mp4");
    await Bun.write(file, body);
    const played = await run(["ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"]);
    expect({ code: played.code, errors: played.err }).toEqual({ code: 0, errors: "" });
    // The edit list puts `start` at 0: the frames from the key frame before it (T0 + 1) come first,
    // before 0, to be decoded; it ends at end - start, give or take the frames after end it needs.
    const [startTime, duration] = (
      await run([
        "ffprobe",
        "-v",
        "error",
        "-show_entries",
        "format=start_time,duration",
        "-of",
        "csv=p=0",
        file,
      ])
    ).out
      .trim()
      .split(",")
      .map(Number);
    expect(startTime).toBe(-0.5);
    expect(startTime! + duration!).toBeGreaterThan(3.7);
    expect(startTime! + duration!).toBeLessThan(4.25); // (audio continues from where the last fragment's ended: half an AAC frame at most)
    // Its packets are the stored ones: from the key frame at T0 + 1 in the first segment to T0 + 5.3.
    const stored = (
      await Promise.all(
        recordingRows(app.db)
          .slice(0, 3)
          .map((r) => videoPacketHashes(["-i", r.path])),
      )
    ).flat();
    const exported = await videoPacketHashes(["-i", file]);
    expect(exported.length).toBeGreaterThan(40);
    expect(stored.join()).toContain(exported.join());
    expect(exported[0]).toBe(stored[10]); // the key frame one second into the first segment
    // Range: a slice is the same bytes as in the whole; a suffix; a range past the end.
    const part = await fetch(url, { headers: { ...headers, range: "bytes=100-1099" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-1099/${size}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(body.subarray(100, 1100));
    const tail = await fetch(url, { headers: { ...headers, range: "bytes=-500" } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(body.subarray(size - 500));
    expect((await fetch(url, { headers: { ...headers, range: `bytes=${size}-` } })).status).toBe(416);
    const again = await fetch(url, { headers: { ...headers, "if-none-match": full.headers.get("etag")! } });
    expect(again.status).toBe(304);
  }, 60_000);

  test("an export across a codec change is ffmpeg's, and says so", async () => {
    const res = await fetch(`${app.url}/api/cameras/gate/clip.mp4?start=${T0 + 19}&end=${T0 + 25}`, {
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-camkeep-export")).toContain("ffmpeg");
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
  }, 60_000);

  test("a stored segment that cannot be read natively is left out, and said so; the playlist goes on", async () => {
    const own = tempDir();
    const other = await keeper.start(
      configIn(
        own,
        "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  gate: {}\n",
      ),
    );
    mkdirSync(other.config.cacheDir, { recursive: true });
    for (const [n, s] of PLAN.slice(0, 3).entries())
      cameraSegment(join(other.config.cacheDir, segmentName("gate", s.start)), {
        size: s.size,
        seconds: SEG,
        n,
      });
    await until(() => recordingRows(other.db).length === 3, 30_000, "the keeper to store the segments");
    await Bun.write(recordingRows(other.db)[1]!.path, "no longer an MP4"); // damaged on the disk since
    const said = await logged(async () => {
      const res = await fetch(`${other.url}/api/cameras/gate/vod.m3u8?start=${T0}&end=${T0 + 6}`, {
        headers: { authorization: `Bearer ${other.token}` },
      });
      expect(res.status).toBe(200);
      expect((await res.text()).split("\n").filter((l) => l.startsWith("../../recordings/")).length).toBe(2);
    });
    expect(said).toContain("gate: a stored segment cannot be played natively");
  });

  test("footage moved to S3 plays the same through the playlist", async () => {
    const server = await startS3("camkeep");
    servers.push(server);
    const s3dir = tempDir();
    const s3app = await keeper.start(
      configIn(
        s3dir,
        `api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  gate: {}\nstorage:\n  tiers:\n    - { name: offsite, after: 30m, s3: { endpoint: "${server.endpoint}", bucket: camkeep, access_key_id: S3RVER, secret_access_key: S3RVER } }\n`,
      ),
    );
    mkdirSync(s3app.config.cacheDir, { recursive: true });
    for (const [n, s] of PLAN.slice(0, 3).entries())
      cameraSegment(join(s3app.config.cacheDir, segmentName("gate", s.start)), {
        size: s.size,
        seconds: SEG,
        n,
      });
    await until(
      () => recordingRows(s3app.db).filter((r) => r.tier === "offsite").length === 3,
      40_000,
      "the segments to move to S3",
    );
    const url = `${s3app.url}/api/cameras/gate/vod.m3u8?start=${T0}&end=${T0 + 6}`;
    const header = `Authorization: Bearer ${s3app.token}\r\n`;
    const played = await run(["ffmpeg", "-v", "error", "-headers", header, "-i", url, "-f", "null", "-"]);
    expect({ code: played.code, errors: played.err }).toEqual({ code: 0, errors: "" });
    expect((await videoPacketHashes(["-headers", header, "-i", url])).length).toBe(3 * SEG * 10);
  }, 90_000);
});

describe("what the page reads", () => {
  test("the page's playlist reader: every fragment with its init, both clocks, and the codecs Media Source needs", async () => {
    const url = playlistUrl();
    const text = await (await fetch(url, { headers: { authorization: `Bearer ${app.token}` } })).text();
    const fragments = readPlaylist(text, url);
    expect(fragments.map((f) => f.start)).toEqual(PLAN.map((p) => p.start));
    for (const f of fragments) {
      expect(f.at).toBe(Number(new URL(f.uri).searchParams.get("t")));
      expect(f.duration).toBeCloseTo(SEG, 1);
      expect(f.uri).toStartWith(`${app.url}/api/recordings/`);
    }
    // Two inits (the resolution change), each named by one URL across the three runs (fetched once).
    expect(new Set(fragments.map((f) => f.init)).size).toBe(2);
    expect(new Set(fragments.map((f) => new URL(f.init).pathname)).size).toBe(2);
    // The media clock follows the wall clock (each run starts at its segment's start).
    expect(fragments[4]!.at).toBe(PLAN[4]!.start);
    const init = new Uint8Array(
      await (
        await fetch(fragments[0]!.init, { headers: { authorization: `Bearer ${app.token}` } })
      ).arrayBuffer(),
    );
    const mime = mimeOf(init);
    expect(mime).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);
    // avc1.PPCCLL: the profile and level ffprobe reads in the stored segment.
    const [profile, level] = (await videoStreamFields(recordingRows(app.db)[0]!.path, "profile,level")).split(
      ",",
    );
    const avc = /avc1\.(\w\w)\w\w(\w\w)/.exec(mime)!;
    expect({ High: "64", Main: "4d", "Constrained Baseline": "42", Baseline: "42" }[profile!]).toBe(avc[1]);
    expect(Number.parseInt(avc[2]!, 16)).toBe(Number(level));
    expect(fragmentAtWall(fragments, T0 + 10)).toBe(4); // in the gap: the next fragment
    expect(fragmentAtMedia(fragments, T0 + 3)).toBe(1);
  });

  test("preview pictures: a JPEG per segment made once, the nearest footage in a gap, 404 far from any", async () => {
    const get = (t: number) =>
      fetch(`${app.url}/api/cameras/gate/preview.jpg?t=${t}`, {
        headers: { authorization: `Bearer ${app.token}` },
      });
    const rows = recordingRows(app.db).sort((a, b) => a.start_time - b.start_time);
    const runs = app.previews.runs;
    // Five at once for one moment: one ffmpeg run.
    const answers = await Promise.all([0, 1, 2, 3, 4].map(() => get(T0 + 1)));
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/jpeg");
      expect(res.headers.get("x-camkeep-recording")).toBe(rows[0]!.id);
      const jpeg = new Uint8Array(await res.arrayBuffer());
      expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    }
    expect(app.previews.runs - runs).toBe(1);
    expect((await get(T0 + 1.5)).status).toBe(200); // the same segment: kept
    expect(app.previews.runs - runs).toBe(1);
    // In the gap (T0+8 to T0+18): the nearer footage, the segment that ended at T0+8.
    expect((await get(T0 + 10)).headers.get("x-camkeep-recording")).toBe(rows[3]!.id);
    expect((await get(T0 + 16)).headers.get("x-camkeep-recording")).toBe(rows[4]!.id);
    const far = await get(T0 - 5000);
    expect(far.status).toBe(404);
    expect((await far.json()).error).toBe("no footage at that moment");
    expect((await get(Number.NaN)).status).toBe(400);
  });
});

/** Every track fragment of a fragmented MP4, in file order: its track, tfdt, and its samples' durations summed. */
function trafs(file: Uint8Array): { track: number; start: number; ticks: number }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const type = (at: number) => String.fromCharCode(...file.subarray(at + 4, at + 8));
  const out: { track: number; start: number; ticks: number }[] = [];
  const walk = (from: number, to: number) => {
    for (let at = from; at + 8 <= to; ) {
      const size = view.getUint32(at);
      if (size < 8) break;
      const t = type(at);
      if (t === "moof") walk(at + 8, at + size);
      else if (t === "traf") {
        out.push({ track: 0, start: 0, ticks: 0 });
        walk(at + 8, at + size);
      } else if (t === "tfhd") out.at(-1)!.track = view.getUint32(at + 12);
      else if (t === "tfdt")
        out.at(-1)!.start = file[at + 8] === 1 ? Number(view.getBigUint64(at + 12)) : view.getUint32(at + 12);
      else if (t === "trun") {
        const flags = view.getUint32(at + 8) & 0xffffff;
        const count = view.getUint32(at + 12);
        let p = at + 16 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
        const width = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
        for (let n = 0; n < count; n++, p += width) if (flags & 0x100) out.at(-1)!.ticks += view.getUint32(p);
      }
      at += size;
    }
  };
  walk(0, file.length);
  return out;
}
