import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { SimulatedClocks } from "../src/time/clocks.ts";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, parseConfig, type CameraMotion } from "../src/config/load.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { recordings } from "../src/db/schema.ts";
import { nativeEngine } from "../src/media/native.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { MotionAnalyser } from "../src/motion/analyser.ts";
import { parsePolygon } from "../src/domain/geometry.ts";
import { rasterise } from "../src/motion/mask.ts";
import { ActivityStore } from "../src/keeper/activity.ts";
import { Maintainer } from "../src/keeper/maintainer.ts";
import { StorageGate } from "../src/storage/gate.ts";
import { configIn, segmentName, tempDir } from "./helpers.ts";

/**
 * Motion from the footage (docs/motion.md), on scenes made with ffmpeg's lavfi: a still textured
 * picture with temporal noise, person-sized boxes moving over it, brightness steps, masks.
 * 320×180 at 10 fps, a key frame a second, 10 s: small, but the analysis picture is the same.
 */
const SCENES = tempDir("camkeep-scenes-");
const BG = "geq=lum='128+50*sin(X/4)*cos(Y/3)':cb=128:cr=128";
const DARK = "geq=lum='30+12*sin(X/4)*cos(Y/3)':cb=128:cr=128";
// A person-sized box: 12×24 of 320×180 is 0.5 % of the picture (a person-sized object, as docs/motion.md says).
const PERSON = "color=white:s=12x24:r=10";
const made = new Map<string, string>();

function scene(
  name: string,
  graph: string,
  codec: string[] = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "0"],
): string {
  const path = join(SCENES, `${name}.mp4`);
  if (made.has(name)) return path;
  const p = Bun.spawnSync([
    "ffmpeg",
    "-v",
    "error",
    "-y",
    "-filter_complex",
    graph,
    "-map",
    "[out]",
    "-t",
    "10",
    ...codec,
    "-crf",
    "30",
    "-pix_fmt",
    "yuv420p",
    path,
  ]);
  if (p.exitCode !== 0) throw new Error(`ffmpeg could not make ${name}: ${p.stderr}`);
  made.set(name, path);
  return path;
}
const moving = (bg: string, box = PERSON, x = "20+t*25", y = "80") =>
  `color=gray:s=320x180:r=10,${bg},noise=alls=${bg === DARK ? 30 : 8}:allf=t[bg];${box}[b];[bg][b]overlay=x='${x}':y=${y}[out]`;
const still = (bg: string, extra = "") =>
  `color=gray:s=320x180:r=10,${bg},noise=alls=${bg === DARK ? 30 : 8}:allf=t${extra}[out]`;

/** A scene whose every NAL unit's payload is wrong, its length and header intact: well-formed, undecodable. */
function undecodable(): string {
  const bytes = readFileSync(scene("day-move", moving(BG)));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const mdat = Buffer.from(bytes).indexOf("mdat") - 4;
  for (let p = mdat + 8, end = mdat + view.getUint32(mdat); p + 4 <= end; ) {
    const len = view.getUint32(p);
    for (let i = p + 4 + 1; i < Math.min(end, p + 4 + len); i++) bytes[i] = bytes[i]! ^ 0x5a;
    p += 4 + len;
  }
  const path = join(SCENES, "unreadable.mp4");
  writeFileSync(path, bytes);
  return path;
}

const SETTINGS: CameraMotion = {
  enabled: true,
  threshold: 30,
  contour_area: 10,
  frame_height: 100,
  lightning_threshold: 0.8,
  mask: [],
};
const T = 1_790_000_000;
const analysers: MotionAnalyser[] = [];
afterAll(() => {
  for (const a of analysers) a.close();
});

/** Analyses segments one after the other as one camera's; returns each one's total motion. */
async function motionOf(paths: string[], settings = SETTINGS): Promise<number[]> {
  const a = new MotionAnalyser();
  analysers.push(a);
  const out: number[] = [];
  for (const [i, path] of paths.entries()) {
    const r = await a.analyse("cam", path, T + i * 10, settings);
    if (!r.ok) throw new Error(`not analysed: ${r.reason}`);
    expect(r.frames.length).toBeGreaterThanOrEqual(9); // a picture per key frame: judged, not unjudged
    out.push(r.frames.reduce((n, f) => n + f.motion, 0));
  }
  return out;
}

describe("motion per segment (docs/motion.md)", () => {
  test("a person-sized object moving by day is found", async () => {
    expect((await motionOf([scene("day-move", moving(BG))]))[0]).toBeGreaterThan(0);
  });
  test("and in a noisy dark picture", async () => {
    expect(
      (await motionOf([scene("night-move", moving(DARK, "color=0x707070:s=12x24:r=10"))]))[0],
    ).toBeGreaterThan(0);
  });
  test("sensor noise alone is not motion, by day or at night", async () => {
    expect(await motionOf([scene("day-still", still(BG))])).toEqual([0]);
    expect(await motionOf([scene("night-noise", still(DARK))])).toEqual([0]);
  });
  test("after a lighting step, the steady lit picture is not motion", async () => {
    const [, lit] = await motionOf([
      scene("light-step", still(BG, ",eq=brightness='if(gt(t,4),0.25,0)':eval=frame")),
      scene("light-on", still(BG, ",eq=brightness=0.25")),
    ]);
    expect(lit).toBe(0);
  });
  test("lights switched on mid-segment (a whole-picture change) is re-learnt, not motion after it", async () => {
    // (The segment of the change itself may count it: nothing is asserted of it.)
    const [, after] = await motionOf([
      scene("contrast-step", still(BG, ",eq=contrast='if(gt(t,4),1.8,1)':eval=frame")),
      scene("contrast-on", still(BG, ",eq=contrast=1.8")),
    ]);
    expect(after).toBe(0);
  });
  test("a scene that goes still stops counting as motion within a few pictures, not after the background forgets it (#35)", async () => {
    // The box moves for 3 s, then stands where it stopped; two more segments of it standing there.
    const stops = moving(BG, PERSON, "20+min(t,3)*25");
    const stands = moving(BG, PERSON, "95");
    const a = new MotionAnalyser();
    analysers.push(a);
    const pictures: number[] = [];
    for (const [i, path] of [
      scene("stops", stops),
      scene("stands", stands),
      scene("stands", stands),
    ].entries()) {
      const r = await a.analyse("cam", path, T + i * 10, SETTINGS);
      if (!r.ok) throw new Error(`not analysed: ${r.reason}`);
      pictures.push(...r.frames.map((f) => f.motion));
    }
    const lastMoving = pictures.findLastIndex((m) => m > 0);
    expect(lastMoving).toBeGreaterThanOrEqual(2); // it moved (the first pictures)
    // It stopped at 3 s: at most 8 pictures (seconds) later it is background (it was never, in 27 s, before).
    expect(lastMoving).toBeLessThanOrEqual(3 + 8);
  });
  test("a 2 s crossing is found", async () => {
    expect(
      (await motionOf([scene("crossing", moving(BG, PERSON, "if(between(t,4,6),100+(t-4)*60,-100)"))]))[0],
    ).toBeGreaterThan(0);
  });
  test("motion only inside a mask is ignored; outside it, found", async () => {
    const path = scene("day-move", moving(BG));
    const masked = { ...SETTINGS, mask: [parsePolygon("0,0.3,1,0.3,1,0.8,0,0.8") as [number, number][]] }; // the box's band (y 80–104 of 180)
    expect(await motionOf([path], masked)).toEqual([0]);
    const elsewhere = { ...SETTINGS, mask: [parsePolygon("0,0,1,0,1,0.2,0,0.2") as [number, number][]] };
    expect((await motionOf([path], elsewhere))[0]).toBeGreaterThan(0);
  });
  test("B-frames and H.265 are read too", async () => {
    expect(
      (
        await motionOf([
          scene("bframes", moving(BG), ["-c:v", "libx264", "-preset", "veryfast", "-g", "10", "-bf", "2"]),
        ])
      )[0],
    ).toBeGreaterThan(0);
    expect(
      (
        await motionOf([
          scene("h265", moving(BG), [
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "keyint=10:min-keyint=10:log-level=error",
          ]),
        ])
      )[0],
    ).toBeGreaterThan(0);
  });
});

describe("hostile segments (docs/motion.md)", () => {
  const analyse = async (path: string) => {
    const a = new MotionAnalyser();
    analysers.push(a);
    return a.analyse("cam", path, T, SETTINGS);
  };
  test("no video track: not analysed, said why", async () => {
    const path = join(SCENES, "audio.mp4");
    Bun.spawnSync([
      "ffmpeg",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "sine=duration=2",
      "-c:a",
      "aac",
      path,
    ]);
    expect(await analyse(path)).toEqual({ ok: false, reason: "no video track" });
  });
  test("a truncated file: not analysed, said why", async () => {
    const path = join(SCENES, "truncated.mp4");
    writeFileSync(path, readFileSync(scene("day-move", moving(BG))).subarray(0, 50_000));
    const r = await analyse(path);
    expect(r.ok).toBe(false);
  });
  test("a 4-second GOP: analysed (sparse, and said so), and motion lasting the segment found", async () => {
    const r = await analyse(
      scene("gop4", moving(BG), [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "40",
        "-keyint_min",
        "40",
        "-sc_threshold",
        "0",
        "-bf",
        "0",
      ]),
    );
    expect(r).toMatchObject({ ok: true, sparse: true });
    if (r.ok) expect(r.frames.reduce((n, f) => n + f.motion, 0)).toBeGreaterThan(0);
  });
  test("garbage in the key frames does not wedge the decoder: the next segment is analysed", async () => {
    const a = new MotionAnalyser();
    analysers.push(a);
    const good = scene("day-move", moving(BG));
    const bytes = readFileSync(good);
    for (let i = 5_000; i < bytes.length; i += 997) bytes[i] = bytes[i]! ^ 0xff; // media bytes flipped, boxes intact
    const bad = join(SCENES, "flipped.mp4");
    writeFileSync(bad, bytes);
    await a.analyse("cam", bad, T, SETTINGS); // whatever it makes of it
    const next = await a.analyse("cam", good, T + 10, SETTINGS);
    expect(next.ok).toBe(true);
  }, 60_000);
});

describe("a stream the decoder cannot read (docs/motion.md)", () => {
  test("two failures in a row rest the camera's motion (no time-out per segment), longer each time; a good segment ends the rest", async () => {
    const clocks = new SimulatedClocks(1_000);
    const a = new MotionAnalyser(clocks, 1_500);
    analysers.push(a);
    const good = scene("day-move", moving(BG));
    const bad = undecodable();
    const first = await a.analyse("cam", bad, T, SETTINGS);
    expect(first).toMatchObject({ ok: false });
    expect(first.ok || first.resting).toBeFalsy(); // one bad segment: the next is tried
    const second = await a.analyse("cam", bad, T + 10, SETTINGS);
    expect(second.ok ? "" : second.reason).toContain("motion rests 60 s");
    const t0 = performance.now();
    const third = await a.analyse("cam", bad, T + 20, SETTINGS);
    expect(performance.now() - t0).toBeLessThan(100); // not tried: no time-out waited
    expect(third).toMatchObject({ ok: false, resting: true });
    await clocks.advance(61_000);
    const fourth = await a.analyse("cam", bad, T + 30, SETTINGS); // tried again, failed again: a longer rest
    expect(fourth.ok ? "" : fourth.reason).toContain("motion rests 120 s");
    await clocks.advance(121_000);
    expect((await a.analyse("cam", good, T + 40, SETTINGS)).ok).toBe(true);
    expect((await a.analyse("cam", good, T + 50, SETTINGS)).ok).toBe(true); // the rest is over
  }, 60_000);
});

describe("motion settings (docs/motion.md)", () => {
  const problems = (yaml: string) => {
    try {
      parseConfig(yaml, "/c.yml");
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
  };
  test("global defaults, overridden key by key per camera", () => {
    const c = parseConfig(
      "motion: { threshold: 25 }\ncameras:\n  a: {}\n  b: { motion: { contour_area: 40, mask: '0,0,0.5,0,0.5,0.5' } }\n",
      "/c.yml",
    );
    expect(c.cameras.a!.motion).toEqual({
      enabled: true,
      threshold: 25,
      contour_area: 10,
      frame_height: 100,
      lightning_threshold: 0.8,
      mask: [],
    });
    expect(c.cameras.b!.motion).toMatchObject({
      threshold: 25,
      contour_area: 40,
      mask: [
        [
          [0, 0],
          [0.5, 0],
          [0.5, 0.5],
        ],
      ],
    });
  });
  test("bad masks are named with the reason", () => {
    const text = problems(
      "motion: { mask: ['0,0,1,0,1', '0,0,1.5,0,1,1', '0,0,1,1', 'a,b,c,d,e,f'] }\n",
    ).join("\n");
    expect(text).toContain("x and y come in pairs");
    expect(text).toContain("between 0 and 1");
    expect(text).toContain("at least 3 points");
    expect(text).toContain("numbers separated by commas");
    expect(problems("cameras: { a: { motion: { threshold: 0, frame_hight: 90 } } }\n").join("\n")).toMatch(
      /cameras\.a\.motion\.threshold[\s\S]*cameras\.a\.motion\.frame_hight: unknown key/,
    );
  });
  test("a mask polygon covers the pixels inside it", () => {
    const bits = rasterise([parsePolygon("0,0,0.5,0,0.5,1,0,1") as [number, number][]], 10, 4);
    expect(Array.from(bits.subarray(0, 10))).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });
});

describe("a box with no detector keeps what moved (end to end)", () => {
  const dbs: Db[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.$client.close(true);
  });
  test("retain.mode motion and no activity at all: moving segments stored with motion > 0, quiet ones dropped", async () => {
    const dir = tempDir();
    const config = configIn(
      dir,
      "record: { commit_interval: 0, retain: { days: 1, mode: motion }, events: { max_latency: 0, pre_capture: 0 } }\ncameras:\n  yard: {}\n",
    );
    const db = openDb(config.database);
    dbs.push(db);
    const media = nativeEngine(ffmpegEngine());
    const storage = new StorageGate(db, media, config.recordingsDir);
    await storage.reconcile();
    const now = Math.floor(Date.now() / 1000);
    const motion = new MotionAnalyser();
    analysers.push(motion);
    const maintainer = new Maintainer({
      config,
      db,
      media,
      activity: new ActivityStore(),
      storage,
      clocks: new SimulatedClocks(now),
      motion,
    });
    mkdirSync(config.cacheDir, { recursive: true });
    const put = (path: string, start: number) => {
      const to = join(config.cacheDir, segmentName("yard", start));
      copyFileSync(path, to);
      utimesSync(to, start + 10, start + 10);
    };
    const quiet = scene("day-still", still(BG)),
      busy = scene("day-move", moving(BG));
    put(quiet, now - 60);
    put(busy, now - 50);
    put(quiet, now - 40);
    const audioOnly = join(SCENES, "audio-only.mp4");
    Bun.spawnSync([
      "ffmpeg",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "sine=duration=10",
      "-c:a",
      "aac",
      audioOnly,
    ]);
    put(audioOnly, now - 30); // cannot be analysed: judged without it, kept by the fail-safe
    put(quiet, now - 20); // the newest: taken once idle and closed
    await maintainer.pass();
    const rows = db.select().from(recordings).orderBy(recordings.start_time).all();
    expect(rows.map((r) => [r.start_time, r.motion > 0, r.unjudged])).toEqual([
      [now - 50, true, false],
      [now - 30, false, true],
    ]);
    expect(maintainer.stats.camera("yard")).toMatchObject({
      motionFrames: 40,
      motionFailures: 1,
      unjudgedKept: 1,
      dropped: { not_retained: 3 },
    });
  }, 60_000);

  test("at stop, a decoder that cannot read the stream does not hold up storing what is left", async () => {
    const dir = tempDir();
    const config = configIn(
      dir,
      "record: { commit_interval: 0, retain: { days: 1, mode: motion }, events: { max_latency: 600 } }\ncameras:\n  yard: {}\n",
    );
    const db = openDb(config.database);
    dbs.push(db);
    const media = nativeEngine(ffmpegEngine());
    const storage = new StorageGate(db, media, config.recordingsDir);
    await storage.reconcile();
    const motion = new MotionAnalyser(); // a decoder gets 10 s per segment
    analysers.push(motion);
    const maintainer = new Maintainer({ config, db, media, activity: new ActivityStore(), storage, motion });
    mkdirSync(config.cacheDir, { recursive: true });
    const now = Math.floor(Date.now() / 1000);
    const bad = undecodable();
    for (const start of [now - 60, now - 50, now - 40]) {
      const to = join(config.cacheDir, segmentName("yard", start));
      copyFileSync(bad, to);
      utimesSync(to, start + 10, start + 10);
    }
    const t0 = performance.now();
    await maintainer.stop();
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(db.select().from(recordings).all()).toHaveLength(3); // stored unjudged, none left
    expect(readdirSync(config.cacheDir).filter((f) => f.endsWith(".mp4"))).toEqual([]);
  }, 60_000);
});
