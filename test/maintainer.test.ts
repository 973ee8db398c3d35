import { afterEach, describe, expect, test } from "bun:test";
import { realClocks, SimulatedClocks } from "../src/time/clocks.ts";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Config } from "../src/config/load.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { events, recordings } from "../src/db/schema.ts";
import type { MediaEngine } from "../src/media/engine.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { ActivityStore } from "../src/keeper/activity.ts";
import { Maintainer } from "../src/keeper/maintainer.ts";
import { joinedStart } from "../src/keeper/segment-join.ts";
import { storagePath } from "../src/storage/layout.ts";
import { StorageGate } from "../src/storage/gate.ts";
import { claimVolume, VOLUME_MARKER } from "../src/storage/volume.ts";
import {
  boxOrder,
  canMountTmpfs,
  configIn,
  segmentFile,
  ffprobeDuration,
  putSegment,
  segmentName,
  storedSegment,
  tempDir,
  until,
} from "./helpers.ts";

const NOW = Math.floor(Date.now() / 1000);
// Decide at once: no latency to wait for, no pre-capture.
const INSTANT =
  "record: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }\n";

interface Rig {
  dir: string;
  config: Config;
  db: Db;
  activity: ActivityStore;
  maintainer: Maintainer;
  clocks: SimulatedClocks;
}
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.$client.close(true);
});

function rig(yaml: string, opts: { ffmpeg?: string; media?: MediaEngine } = {}): Rig {
  const dir = tempDir();
  const config = configIn(dir, yaml);
  const db = openDb(config.database);
  open.push(db);
  claimVolume(db, config.recordingsDir, 0);
  const activity = new ActivityStore();
  const clocks = new SimulatedClocks(NOW);
  const media = opts.media ?? ffmpegEngine({ ffmpeg: opts.ffmpeg });
  const storage = new StorageGate(db, media, config.recordingsDir);
  const maintainer = new Maintainer({
    config,
    db,
    media,
    activity,
    storage,
    clocks,
  });
  return { dir, config, db, activity, maintainer, clocks };
}

/** A closed segment in the cache: named for `start`, last written when it ended. */
const put = (r: Rig, camera: string, start: number, seconds = 2) =>
  putSegment(r.config.cacheDir, segmentName(camera, start), seconds, (start + seconds) * 1000);
/** The segment a recorder is writing now: the newest, written to a moment ago. */
const putLive = (r: Rig, camera: string, start: number) =>
  putSegment(r.config.cacheDir, segmentName(camera, start), 2, r.clocks.now() * 1000);
const statfsFree = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};
const cacheFiles = (r: Rig) => readdirSync(r.config.cacheDir).sort();
const rows = (r: Rig) => r.db.select().from(recordings).orderBy(recordings.start_time).all();

describe("a recorder run's segments join exactly (docs/design.md#the-life-of-a-segment)", () => {
  test("where the one before ended, when that falls in the name's second; a real gap stays a gap (pure)", () => {
    expect(joinedStart(100, undefined)).toBe(100);
    expect(joinedStart(100, 100.4)).toBe(100.4); // the true start, 0.4 s after the named second
    expect(joinedStart(100, 99.9)).toBe(99.9); // the recorder's clock a little behind
    expect(joinedStart(100, 101.2)).toBe(101.2);
    expect(joinedStart(100, 101.3)).toBe(100); // over a second apart: a break
    expect(joinedStart(100, 99.7)).toBe(100); // overlapping by more than the margin: not one run
    expect(joinedStart(100, 90)).toBe(100); // a gap
  });
  test("the first of a recorder run: its last write less its duration, within its name's second (pure)", () => {
    expect(joinedStart(100, undefined, { at: 104.66, duration: 4 })).toBeCloseTo(100.66, 6);
    expect(joinedStart(100, 90, { at: 104.66, duration: 4 })).toBeCloseTo(100.66, 6); // after a break
    expect(joinedStart(100, undefined, { at: 103.5, duration: 4 })).toBe(100); // never before its name
    expect(joinedStart(100, undefined, { at: 200, duration: 4 })).toBe(100); // written much later: it says nothing
    expect(joinedStart(100, 100.4, { at: 200, duration: 4 })).toBe(100.4); // nor stops a join
    expect(joinedStart(100, 100.4, { at: 104.5, duration: 4 })).toBe(100.4); // joined: the previous end rules
  });
  test("a recorder restarted within the same second is not joined: its first segment closed too late (pure)", () => {
    // The last run ended at 99.9; a 1 s backoff later the next opened at 100.95, named 100.
    expect(joinedStart(100, 99.9, { at: 104.95, duration: 4 })).toBeCloseTo(100.95, 6);
    expect(joinedStart(100, 100.9, { at: 104.95, duration: 4 })).toBe(100.9); // continuous: closed when it should
  });

  test("2.4 s segments named by whole seconds are stored touching, each where the last ended", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    const T = NOW - 100;
    // True starts T+0.5, T+2.9, T+5.3, T+7.7: named T, T+2, T+5, T+7. Then a break.
    for (const named of [0, 2, 5, 7, 20]) await put(r, "cam", T + named, 2.4);
    await r.maintainer.pass();
    const stored = rows(r).map((row) => [row.start_time, row.duration]);
    for (const [i, at] of [0, 2.4, 4.8, 7.2, 20].entries()) expect(stored[i]![0]! - T).toBeCloseTo(at, 5);
    for (let i = 1; i < 4; i++) expect(stored[i]![0]).toBe(stored[i - 1]![0]! + stored[i - 1]![1]!);
    expect(stored[4]![0]).toBe(T + 20);
  });
});

describe("storing kept segments (docs/storage.md)", () => {
  test("a kept segment is stored moov-first in its UTC folder, indexed, and removed from the cache", async () => {
    const r = rig(`${INSTANT}cameras:\n  front-door: {}\n`);
    const start = NOW - 100;
    await put(r, "front-door", start);
    await putLive(r, "front-door", start + 2); // the newest, still being written
    await r.maintainer.pass();

    const [row, ...more] = rows(r);
    expect(more).toEqual([]);
    const path = storagePath(r.config.recordingsDir, "front-door", start);
    expect(row).toMatchObject({
      camera: "front-door",
      path,
      start_time: start,
      motion: 0,
      objects: 0,
      unjudged: true,
    });
    expect(row!.duration).toBeCloseTo(2, 1);
    expect(row!.end_time).toBeCloseTo(start + 2, 1);
    expect(row!.segment_size).toBe(Bun.file(path).size);
    expect(await ffprobeDuration(path)).toBeCloseTo(2, 1);
    const boxes = await boxOrder(path);
    expect(boxes.indexOf("moov")).toBeLessThan(boxes.indexOf("mdat"));
    expect(cacheFiles(r)).toEqual([segmentName("front-door", start + 2)]);
    expect(r.maintainer.stats.camera("front-door")).toMatchObject({ stored: 1, backlog: 0 });
  });

  test("segments outside retention, of unknown cameras, or of disabled cameras are deleted", async () => {
    const r = rig(
      `${INSTANT}cameras:\n  gate: { record: { retain: { days: 0 } } }\n  off: { record: { enabled: false } }\n`,
    );
    for (const cam of ["gate", "off", "ghost"]) {
      await put(r, cam, NOW - 100);
      await putLive(r, cam, NOW - 98);
    }
    await r.maintainer.pass();
    expect(cacheFiles(r)).toEqual(["ghost", "gate", "off"].map((c) => segmentName(c, NOW - 98)).sort());
    expect(rows(r)).toEqual([]);
    expect(r.maintainer.stats.camera("gate").dropped).toEqual({ not_retained: 1 });
    expect(r.maintainer.stats.camera("off").dropped).toEqual({ disabled: 1 });
    expect(r.maintainer.stats.unknownCameraSegments).toBe(1);
    expect(r.maintainer.stats.cameras.has("ghost")).toBe(false); // no per-camera state for names we do not know
  });

  test("a corrupt segment is deleted and counted", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    const bad = join(r.config.cacheDir, segmentName("cam", NOW - 100));
    writeFileSync(bad, "not an mp4 at all");
    utimesSync(bad, NOW - 90, NOW - 90);
    await putLive(r, "cam", NOW - 50);
    await r.maintainer.pass();
    expect(existsSync(bad)).toBe(false);
    expect(r.maintainer.stats.camera("cam").corrupt).toBe(1);
    expect(rows(r)).toEqual([]);
  });

  test("an event in the database keeps a segment outside continuous retention", async () => {
    const r = rig(
      `${INSTANT}cameras:\n  cam: { record: { retain: { days: 0 }, events: { retain: { mode: all } } } }\n`,
    );
    r.db
      .insert(events)
      .values({ id: "e1", camera: "cam", label: "person", start_time: NOW - 99, end_time: NOW - 98.5 })
      .run();
    await put(r, "cam", NOW - 100);
    await put(r, "cam", NOW - 90);
    await putLive(r, "cam", NOW - 80);
    await r.maintainer.pass();
    expect(rows(r).map((x) => x.start_time)).toEqual([NOW - 100]);
    expect(cacheFiles(r)).toEqual([segmentName("cam", NOW - 80)]);
  });

  test("reported activity decides motion mode and is stored with the row", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: { record: { retain: { days: 1, mode: motion } } }\n`);
    await put(r, "cam", NOW - 100);
    await put(r, "cam", NOW - 98);
    await putLive(r, "cam", NOW - 96);
    const frame = (t: number, boxes: number[][]) => ({
      frame_time: t,
      objects: [{ label: "person", false_positive: false, motionless_count: 0 }],
      motion_boxes: boxes,
    });
    r.activity.report("cam", [frame(NOW - 99, [[0, 0, 9, 9]]), frame(NOW - 97, [])]);
    await r.maintainer.pass();
    expect(rows(r).map((x) => [x.start_time, x.motion, x.objects, x.unjudged])).toEqual([
      [NOW - 100, 100, 1, false],
    ]);
    expect(cacheFiles(r)).toEqual([segmentName("cam", NOW - 96)]);
    expect(r.maintainer.stats.camera("cam").dropped).toEqual({ not_retained: 1 });
  });

  test("a segment waits in the cache until the watermark passes its end + pre_capture", async () => {
    const r = rig(
      "record: { commit_interval: 0, retain: { days: 1 }, events: { max_latency: 30, pre_capture: 5 } }\ncameras:\n  cam: {}\n",
    );
    await put(r, "cam", NOW - 30);
    await put(r, "cam", NOW - 28);
    await r.maintainer.pass(); // watermark NOW-30 < end NOW-28 + 5
    expect(rows(r)).toEqual([]);
    await r.clocks.advance(3_000); // watermark NOW-27 still < NOW-23
    await r.maintainer.pass();
    expect(rows(r)).toEqual([]);
    await r.clocks.advance(4_000); // watermark NOW-23: decided
    await r.maintainer.pass();
    expect(rows(r).map((x) => x.start_time)).toEqual([NOW - 30]);
  });

  /** A camera whose segment at NOW − 100 is stored, and the rows then. */
  async function oneStored() {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    await r.maintainer.pass();
    return { r, before: rows(r) };
  }

  test("a cache segment whose copy is already indexed is removed without a second copy", async () => {
    const { r, before } = await oneStored();
    await put(r, "cam", NOW - 100); // the crash-between-row-and-removal leftover
    await r.maintainer.pass();
    expect(rows(r)).toEqual(before);
    expect(cacheFiles(r)).toEqual([segmentName("cam", NOW - 98)]);
  });

  test("a different segment under an indexed name (a recorder restarted within the second) is kept aside, not taken for stored", async () => {
    const { r, before } = await oneStored();
    const name = segmentName("cam", NOW - 100);
    copyFileSync(await segmentFile(2, { audio: true }), join(r.config.cacheDir, name)); // same name and length, other media
    utimesSync(join(r.config.cacheDir, name), NOW - 98, NOW - 98);
    await r.maintainer.pass();
    expect(rows(r)).toEqual(before);
    expect(cacheFiles(r)).not.toContain(name);
    expect(await ffprobeDuration(join(r.dir, "quarantine", name))).toBeCloseTo(2, 1); // today's code deleted it
  });
});

describe("a cache volume about to fill (docs/retention.md)", () => {
  // Needs root to mount a real small volume; shown as skipped otherwise.
  test.skipIf(!canMountTmpfs())(
    "drops the oldest segments, loudly, only as many as needed; never the newest",
    async () => {
      const mnt = tempDir("camkeep-cachefs-");
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]).exitCode).toBe(0);
      try {
        const r = rig(`cache_dir: ${mnt}\n${INSTANT}cameras:\n  cam: {}\n`);
        unlinkSync(join(r.config.recordingsDir, VOLUME_MARKER)); // storage away: segments pile up
        const starts: number[] = [];
        for (let i = 0; statfsFree(mnt) > 1.5 * 2 ** 20; i++) {
          starts.push(NOW - 3000 + i * 2);
          await put(r, "cam", starts.at(-1)!);
        }
        await putLive(r, "cam", NOW - 10);
        await r.maintainer.pass();
        const dropped = r.maintainer.stats.camera("cam").dropped.cache_full ?? 0;
        expect(dropped).toBeGreaterThan(0);
        expect(statfsFree(mnt)).toBeGreaterThanOrEqual(2 * 2 ** 20); // room for two more segments again
        const left = cacheFiles(r);
        expect(left[0]).toBe(segmentName("cam", starts[dropped]!)); // the oldest went, in order
        expect(left).toContain(segmentName("cam", NOW - 10)); // the one being written stays
        expect(rows(r)).toEqual([]);
      } finally {
        Bun.spawnSync(["umount", mnt]);
      }
    },
  );
});

describe("storage mounted late (a NAS share after boot)", () => {
  test("a refused start-up reconcile is retried once the marker is back, and storing resumes", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    const root = r.config.recordingsDir;
    await storedSegment(r.db, root, "cam", NOW - 5000); // footage from before
    renameSync(root, `${root}.away`); // the disk is not mounted yet: an empty mount point
    mkdirSync(root);
    const gate = new StorageGate(r.db, ffmpegEngine(), root, 0);
    expect((await gate.reconcile()).ok).toBe(false);
    const maintainer = new Maintainer({
      config: r.config,
      db: r.db,
      media: ffmpegEngine(),
      activity: r.activity,
      storage: gate,
      clocks: r.clocks,
    });
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    await maintainer.pass();
    expect(rows(r).map((x) => x.start_time)).toEqual([NOW - 5000]); // nothing written into the mount point
    expect(readdirSync(root)).toEqual([]);
    rmdirSync(root); // mounted
    renameSync(`${root}.away`, root);
    await maintainer.pass();
    expect(gate.problem()).toBeUndefined();
    expect(rows(r).map((x) => x.start_time)).toEqual([NOW - 5000, NOW - 100]);
  });
});

describe("a long backlog", () => {
  test("events are known for every segment of a backlog, however long it spans", async () => {
    const r = rig(
      `${INSTANT}cameras:\n  cam: { record: { retain: { days: 0 }, events: { retain: { mode: all } } } }\n`,
    );
    await put(r, "cam", NOW - 7200); // two hours of backlog: storage was away
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    r.db
      .insert(events)
      .values({ id: "late", camera: "cam", label: "person", start_time: NOW - 99, end_time: NOW - 98.5 })
      .run();
    await r.maintainer.pass();
    expect(rows(r).map((x) => x.start_time)).toEqual([NOW - 100]);
    expect(r.maintainer.stats.camera("cam").dropped).toEqual({ not_retained: 1 });
  });
});

describe("never dropping for being many (docs/retention.md)", () => {
  test("a backlog is reported, kept, and stored once storage is back", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    for (let i = 0; i < 11; i++) await put(r, "cam", NOW - 200 + i * 2);
    await putLive(r, "cam", NOW - 200 + 22);
    unlinkSync(join(r.config.recordingsDir, VOLUME_MARKER)); // storage "unmounted"
    await r.maintainer.pass();
    expect(cacheFiles(r)).toHaveLength(12);
    expect(r.maintainer.stats.storageAvailable).toBe(false);
    expect(r.maintainer.stats.camera("cam").backlog).toBe(11);
    claimVolume(r.db, r.config.recordingsDir, 0);
    // As many passes as it takes: a pass stops after its time budget, which a busy machine reaches.
    await until(
      async () => {
        await r.maintainer.pass();
        return rows(r).length === 11;
      },
      30_000,
      "the backlog stored",
      0,
    );
    expect(cacheFiles(r)).toHaveLength(1);
    expect(r.maintainer.stats.camera("cam").backlog).toBe(0);
  });
});

describe("failed stores (docs/retention.md)", () => {
  test("a segment that fails to store is retried, then quarantined, never deleted", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`, { ffmpeg: "false" }); // an ffmpeg that always fails
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    const name = segmentName("cam", NOW - 100);
    await r.maintainer.pass();
    await r.maintainer.pass();
    expect(cacheFiles(r)).toContain(name);
    await r.maintainer.pass();
    expect(cacheFiles(r)).not.toContain(name);
    expect(await ffprobeDuration(join(r.dir, "quarantine", name))).toBeCloseTo(2, 1);
    expect(rows(r)).toEqual([]);
    const leftovers = readdirSync(r.config.recordingsDir, { recursive: true })
      .map(String)
      .filter((f) => /\.(mp4|tmp)$/.test(f));
    expect(leftovers).toEqual([]); // no partial or temporary file left in storage
    expect(r.maintainer.stats.camera("cam")).toMatchObject({ storeFailures: 3, quarantined: 1 });
  });
});

describe("indexing together (SD-card wear, docs/design.md#crash-safety)", () => {
  test("stored segments wait up to commit_interval to be indexed in one transaction, their cache files kept until then", async () => {
    const r = rig(`${INSTANT.replace("commit_interval: 0", "commit_interval: 30")}cameras:\n  cam: {}\n`);
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    await r.maintainer.pass();
    expect(rows(r)).toEqual([]); // placed in storage, not yet indexed
    expect(cacheFiles(r)).toContain(segmentName("cam", NOW - 100)); // so the cache copy stays (docs/design.md#crash-safety)
    await put(r, "cam", NOW - 98); // the next segment closes
    await r.clocks.advance(10_000);
    await putLive(r, "cam", NOW - 96); // being written
    await r.maintainer.pass();
    expect(rows(r)).toEqual([]);
    await r.clocks.advance(20_000); // the first has waited 30 s
    await putLive(r, "cam", NOW - 96); // still being written
    await r.maintainer.pass();
    expect(rows(r).map((x) => x.start_time)).toEqual([NOW - 100, NOW - 98]); // both in one commit
    expect(cacheFiles(r)).toEqual([segmentName("cam", NOW - 96)]);
    expect(r.maintainer.stats.camera("cam").stored).toBe(2);
  });
});

describe("a failed probe is not a corrupt file (docs/design.md#crash-safety)", () => {
  test("a probe that times out keeps the segment: retried, then quarantined, never deleted", async () => {
    const hang = join(tempDir(), "hang");
    writeFileSync(hang, "#!/bin/sh\nexec sleep 60\n");
    chmodSync(hang, 0o755);
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`, {
      media: ffmpegEngine({ ffprobe: hang, probeTimeoutMs: 200 }),
    });
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    const name = segmentName("cam", NOW - 100);
    await r.maintainer.pass();
    await r.maintainer.pass();
    expect(cacheFiles(r)).toContain(name); // today's code deleted it here as "corrupt"
    expect(r.maintainer.stats.camera("cam")).toMatchObject({ corrupt: 0, probeFailures: 2 });
    await r.maintainer.pass();
    expect(cacheFiles(r)).not.toContain(name);
    expect(await ffprobeDuration(join(r.dir, "quarantine", name))).toBeCloseTo(2, 1); // set aside whole
    expect(r.maintainer.stats.camera("cam")).toMatchObject({ corrupt: 0, probeFailures: 3, quarantined: 1 });
  });
  test("a probe tool that cannot start (missing, EMFILE) never deletes either", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`, {
      media: ffmpegEngine({ ffprobe: join(tempDir(), "missing-ffprobe") }),
    });
    await put(r, "cam", NOW - 100);
    await putLive(r, "cam", NOW - 98);
    await r.maintainer.pass();
    expect(cacheFiles(r)).toContain(segmentName("cam", NOW - 100));
    expect(r.maintainer.stats.camera("cam").corrupt).toBe(0);
  });
  test("content shown invalid is still discarded", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    writeFileSync(join(r.config.cacheDir, segmentName("cam", NOW - 100)), "not an mp4");
    utimesSync(join(r.config.cacheDir, segmentName("cam", NOW - 100)), NOW - 98, NOW - 98);
    await putLive(r, "cam", NOW - 98);
    await r.maintainer.pass();
    expect(cacheFiles(r)).toEqual([segmentName("cam", NOW - 98)]);
    expect(r.maintainer.stats.camera("cam").corrupt).toBe(1);
  });
});

describe("files the maintainer must not touch (docs/recorders.md)", () => {
  test("symlinks and non-segment files are never followed, moved or deleted", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    const outside = await putSegment(join(r.dir, "elsewhere"), "real.mp4");
    symlinkSync(outside, join(r.config.cacheDir, segmentName("cam", NOW - 100)));
    writeFileSync(join(r.config.cacheDir, "notes.txt"), "x");
    writeFileSync(join(r.config.cacheDir, "clip_cam-1.mp4"), "x");
    await r.maintainer.pass();
    expect(cacheFiles(r)).toEqual(["clip_cam-1.mp4", segmentName("cam", NOW - 100), "notes.txt"].sort());
    expect(existsSync(outside)).toBe(true);
    expect(rows(r)).toEqual([]);
    expect(r.maintainer.stats.invalidCacheFiles).toBe(2);
  });

  test("a newest segment held open by any process is left alone, however old", async () => {
    const r = rig(`${INSTANT}cameras:\n  cam: {}\n`);
    const path = await put(r, "cam", NOW - 100);
    const holder = Bun.spawn(["sh", "-c", `exec 3<"${path}"; exec sleep 30`]);
    const holds = () => {
      try {
        return readlinkSync(`/proc/${holder.pid}/fd/3`) === path;
      } catch {
        return false;
      }
    };
    await until(holds, 5_000, "the holder to open the segment");
    await r.maintainer.pass();
    expect(rows(r)).toEqual([]);
    holder.kill();
    await holder.exited;
    await r.maintainer.pass();
    expect(rows(r)).toHaveLength(1);
  });

  test("segments a real ffmpeg is still writing are never touched", async () => {
    // Real clock here: the recorder writes 2 s segments for 6 s while passes run. (Not 1 s:
    // names carry whole seconds, and under load two 1 s segments can start in the same second,
    // the recorder then overwriting its own file.)
    const dir = tempDir();
    const config = configIn(dir, `${INSTANT}cameras:\n  live-cam: {}\n`);
    const db = openDb(config.database);
    open.push(db);
    claimVolume(db, config.recordingsDir, 0);
    const storage = new StorageGate(db, ffmpegEngine(), config.recordingsDir);
    let later = 0; // the real clock, plus what the test lets pass at the end
    const maintainer = new Maintainer({
      config,
      db,
      media: ffmpegEngine(),
      activity: new ActivityStore(),
      storage,
      clocks: { ...realClocks, now: () => (Date.now() + later) / 1000 },
    });
    const recorder = Bun.spawn(
      [
        "ffmpeg",
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=96x64:rate=10:duration=6",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "10",
        "-f",
        "segment",
        "-segment_time",
        "2",
        "-reset_timestamps",
        "1",
        "-strftime",
        "1",
        "live-cam-%Y%m%d%H%M%S.mp4",
      ],
      { cwd: config.cacheDir, env: { ...process.env, TZ: "UTC" } },
    );
    const seenWhileWriting: string[] = [];
    while (recorder.exitCode === null) {
      await maintainer.pass();
      const files = readdirSync(config.cacheDir)
        .filter((f) => f.endsWith(".mp4"))
        .sort();
      if (recorder.exitCode === null && files.length) seenWhileWriting.push(files.at(-1)!);
      await Bun.sleep(150);
    }
    expect(await recorder.exited).toBe(0);
    // The file being written was in the cache at every pass, and no row points at a partial file.
    for (const row of db.select().from(recordings).all()) {
      expect(row.duration).toBeGreaterThan(0.5);
      expect(await ffprobeDuration(row.path)).toBeCloseTo(row.duration, 1);
    }
    expect(seenWhileWriting.length).toBeGreaterThan(3);
    // Once the recorder has gone and the last file has been idle, it is stored too. (Its probed
    // end can lie a little past the wall clock — ffmpeg reads ahead — so let a minute pass.)
    later = 60_000;
    await maintainer.pass();
    expect(readdirSync(config.cacheDir)).toEqual([]);
    const total = db
      .select()
      .from(recordings)
      .all()
      .reduce((s, x) => s + x.duration, 0);
    expect(total).toBeCloseTo(6, 0);
  });
});
