import { afterEach, describe, expect, test } from "bun:test";
import { SimulatedClocks } from "../src/time/clocks.ts";
import { existsSync, mkdirSync, readdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { deleteRecordingsAndFiles } from "../src/cleanup/delete.ts";
import { protectDisk } from "../src/cleanup/disk.ts";
import { Cleanup, defaultSchedules } from "../src/cleanup/scheduler.ts";
import type { Config } from "../src/config/load.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { events, recordings } from "../src/db/schema.ts";
import { deleteRecordingsByRowid, insertRecordings, oldestRecordingsPage } from "../src/db/recordings.ts";
import { ArchiveTotals } from "../src/db/totals.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { StorageGate } from "../src/storage/gate.ts";
import { storagePath } from "../src/storage/layout.ts";
import { volumeSpace } from "../src/storage/space.ts";
import { VOLUME_MARKER } from "../src/storage/volume.ts";
import {
  BUN,
  ROOT,
  canMountTmpfs,
  configIn,
  keepers,
  putSegment,
  recordingRows,
  segmentFile,
  segmentName,
  storedSegment,
  tempDir,
  until,
} from "./helpers.ts";

const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);
const SANE = () => ({ sane: true });

interface RigOptions {
  dir?: string;
  clock?: () => { sane: boolean; reason?: string };
  now?: number;
  minFree?: () => number;
  yamlExtra?: string;
}
interface Rig {
  dir: string;
  config: Config;
  db: Db;
  totals: ArchiveTotals;
  gate: StorageGate;
  cleanup: Cleanup;
  opts: RigOptions;
}
const dbs: Db[] = [];
const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c.stop();
  for (const db of dbs.splice(0)) db.$client.close(true);
});

async function rig(yaml: string, opts: RigOptions = {}): Promise<Rig> {
  const dir = opts.dir ?? tempDir();
  const config = configIn(dir, yaml);
  const db = openDb(config.database);
  dbs.push(db);
  const gate = new StorageGate(db, ffmpegEngine(), config.recordingsDir);
  await gate.reconcile();
  return arm({ dir, config, db, gate, opts } as Rig);
}

/** (Re)builds the cleanup from what the database holds now, as a start would. */
function arm(r: Rig): Rig {
  const { config, db, gate, opts } = r;
  r.totals = new ArchiveTotals(db);
  r.cleanup = new Cleanup({
    config,
    db,
    storageProblem: () => gate.problem(),
    clock: opts.clock ?? SANE,
    space: () => ({ ...volumeSpace(config.recordingsDir), bandwidth: 0, minFree: opts.minFree?.() ?? 0 }),
    clocks: new SimulatedClocks(opts.now ?? NOW),
    schedules: { expiry: { everySeconds: 1 }, disk: { everySeconds: 1 }, clips: { everySeconds: 1 } },
  });
  cleanups.push(r.cleanup);
  return r;
}
const starts = (db: Db, camera?: string) =>
  db
    .select()
    .from(recordings)
    .orderBy(recordings.start_time)
    .all()
    .filter((r) => !camera || r.camera === camera)
    .map((r) => r.start_time);

describe("expiry run (docs/retention.md)", () => {
  test("old recordings go, file then row; event-held ones stay; totals follow", async () => {
    const r = await rig(
      "record: { retain: { days: 7 }, events: { pre_capture: 0, post_capture: 0, retain: { mode: motion, default: 30 } } }\ncameras:\n  cam: {}\n",
    );
    const old = NOW - 10 * DAY;
    const paths = [];
    for (let i = 0; i < 5; i++)
      paths.push(
        await storedSegment(r.db, r.config.recordingsDir, "cam", old + i * 2, { motion: i === 3 ? 0 : 5 }),
      );
    const recent = await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - DAY);
    r.db
      .insert(events)
      .values({ id: "e", camera: "cam", label: "person", start_time: old + 4.5, end_time: old + 7 })
      .run(); // holds #2 and #3
    arm(r);
    const report = await r.cleanup.expireNow();
    expect(report!.recordings).toEqual({ cam: { retention: 3, event_mode: 1 } });
    expect(starts(r.db)).toEqual([old + 4, NOW - DAY]);
    expect(paths.map(existsSync)).toEqual([false, false, true, false, false]);
    expect(existsSync(recent)).toBe(true);
    expect(r.totals.camera("cam").segments).toBe(2);
  });

  test("events past their retention stop holding recordings in the same run", async () => {
    const r = await rig(
      "record: { retain: { days: 1 }, events: { retain: { mode: all, default: 5, objects: { person: 30 } } } }\ncameras:\n  cam: {}\n",
    );
    const t = NOW - 10 * DAY;
    await storedSegment(r.db, r.config.recordingsDir, "cam", t);
    await storedSegment(r.db, r.config.recordingsDir, "cam", t + 100);
    r.db
      .insert(events)
      .values([
        { id: "car", camera: "cam", label: "car", start_time: t, end_time: t + 1 }, // 5 days: expired
        { id: "person", camera: "cam", label: "person", start_time: t + 100, end_time: t + 101 }, // 30 days: holds
      ])
      .run();
    arm(r);
    const report = await r.cleanup.expireNow();
    expect(report!.eventsExpired).toBe(1);
    expect(starts(r.db)).toEqual([t + 100]);
    expect(
      r.db
        .select()
        .from(events)
        .all()
        .map((e) => [e.id, e.has_clip]),
    ).toEqual([
      ["car", false],
      ["person", true],
    ]);
  });

  test("removed cameras expire by the global days, in batches", async () => {
    const r = await rig("record: { retain: { days: 3 } }\ncameras:\n  kept: {}\n");
    for (let i = 0; i < 2500; i++) {
      insertRecordings(r.db, [
        {
          id: `${i}-gone00`,
          camera: "gone",
          path: `/nowhere/${i}.mp4`,
          start_time: NOW - 5 * DAY + i,
          end_time: NOW - 5 * DAY + i + 1,
          duration: 1,
          motion: 0,
          objects: 0,
          segment_size: 1,
        },
      ]);
    }
    await storedSegment(r.db, r.config.recordingsDir, "gone", NOW - 2 * DAY);
    arm(r);
    const report = await r.cleanup.expireNow();
    expect(report!.recordings).toEqual({ gone: { removed_camera: 2500 } });
    expect(starts(r.db, "gone")).toEqual([NOW - 2 * DAY]);
  });

  test("leftover files older than every row go by their camera's retention; empty folders go; the root stays", async () => {
    const r = await rig(
      "record: { retain: { days: 2 } }\ncameras:\n  cam: { record: { retain: { days: 5 } } }\n",
    );
    const root = r.config.recordingsDir;
    const keptRow = await storedSegment(r.db, root, "cam", NOW - 1 * DAY);
    const leftoverOld = await storedSegment(r.db, root, "cam", NOW - 9 * DAY, { row: false });
    const leftoverYoung = await storedSegment(r.db, root, "cam", NOW - 4 * DAY, { row: false }); // inside cam's 5 days
    const removedCam = await storedSegment(r.db, root, "old-cam", NOW - 3 * DAY, { row: false }); // global 2 days
    const notOurs = join(root, "lost+found", "x.bin");
    mkdirSync(dirname(notOurs), { recursive: true });
    writeFileSync(notOurs, "x");
    arm(r);
    const report = await r.cleanup.expireNow();
    expect(report!.leftoverFiles).toBe(2);
    expect([keptRow, leftoverOld, leftoverYoung, removedCam, notOurs].map(existsSync)).toEqual([
      true,
      false,
      true,
      false,
      true,
    ]);
    expect(existsSync(dirname(dirname(dirname(leftoverOld))))).toBe(false); // its day folder emptied and removed
    expect(existsSync(join(root, VOLUME_MARKER))).toBe(true);
  });

  test("a dry run deletes nothing and reports what a real run deletes", async () => {
    const yaml =
      "record: { retain: { days: 1 }, events: { retain: { mode: all, default: 2 } } }\ncameras:\n  cam: {}\n";
    const r = await rig(yaml);
    for (let i = 0; i < 4; i++)
      await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - 5 * DAY + i * 2);
    r.db
      .insert(events)
      .values({
        id: "e",
        camera: "cam",
        label: "car",
        start_time: NOW - 5 * DAY,
        end_time: NOW - 5 * DAY + 3,
      })
      .run();
    writeFileSync(join(r.dir, "camkeep.yml"), `data_dir: ${r.dir}\n${yaml}`);
    const dry = Bun.spawnSync([
      BUN,
      join(ROOT, "src/main.ts"),
      "expire",
      "--dry-run",
      "--config",
      join(r.dir, "camkeep.yml"),
    ]);
    expect(dry.exitCode).toBe(0);
    const out = dry.stdout.toString();
    expect(out).toContain("Dry run — nothing deleted.");
    expect(out).toContain(
      "cam: would delete 4 recordings — older than the camera's retain.days, no event holds them",
    );
    expect(out).toContain("events: 1 would stop holding recordings");
    expect(starts(r.db)).toHaveLength(4);
    expect(r.db.select().from(events).get()!.has_clip).toBe(true);
    const real = Bun.spawnSync([
      BUN,
      join(ROOT, "src/main.ts"),
      "expire",
      "--config",
      join(r.dir, "camkeep.yml"),
    ]);
    expect(real.stdout.toString()).toContain("cam: deleted 4 recordings");
    expect(starts(r.db)).toEqual([]);
  });
});

describe("when nothing may be deleted", () => {
  test("storage without its marker (unmounted): expiry and disk protection skip", async () => {
    const r = await rig("record: { retain: { days: 1 } }\ncameras:\n  cam: {}\n", {
      minFree: () => Number.MAX_SAFE_INTEGER,
    });
    await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - 5 * DAY);
    unlinkSync(join(r.config.recordingsDir, VOLUME_MARKER));
    expect(await r.cleanup.expireNow()).toBeUndefined();
    expect(await r.cleanup.protectDiskNow()).toBeUndefined();
    expect(starts(r.db)).toHaveLength(1);
    expect(r.cleanup.counters.skipped).toEqual({ storage: 2 });
  });
  test("a clock that is not sane: expiry skips", async () => {
    const r = await rig("record: { retain: { days: 1 } }\ncameras:\n  cam: {}\n", {
      clock: () => ({ sane: false, reason: "clock not sane: test" }),
    });
    await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - 5 * DAY);
    expect(await r.cleanup.expireNow()).toBeUndefined();
    expect(starts(r.db)).toHaveLength(1);
    expect(r.cleanup.counters.skipped).toEqual({ clock: 1 });
  });
  test("the CLI refuses too, with the reason", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "c.yml"),
      `data_dir: ${dir}\nrecord: { retain: { days: 1 } }\ncameras:\n  cam: {}\n`,
    );
    const r = await rig("record: { retain: { days: 1 } }\ncameras:\n  cam: {}\n", { dir });
    await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - 5 * DAY);
    rmSync(join(r.config.recordingsDir, VOLUME_MARKER));
    const p = Bun.spawnSync([BUN, join(ROOT, "src/main.ts"), "expire", "--config", join(dir, "c.yml")]);
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain("not expiring");
    expect(starts(r.db)).toHaveLength(1);
  });
});

describe("deletes survive a power cut (docs/design.md#crash-safety)", () => {
  test("every folder a file left is flushed before any of the rows go", async () => {
    const r = await rig("cameras:\n  cam: {}\n  yard: {}\n");
    const made = [
      await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - 10 * DAY),
      await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - 10 * DAY + 2),
      await storedSegment(r.db, r.config.recordingsDir, "yard", NOW - 9 * DAY),
    ];
    const candidates = oldestRecordingsPage(r.db, { start: -Infinity, id: "" }, 10);
    const flushes: { dir: string; rowsLeft: number; filesLeft: number }[] = [];
    const flush = (dir: string) =>
      flushes.push({
        dir,
        rowsLeft: r.db.select().from(recordings).all().length,
        filesLeft: made.filter(existsSync).length,
      });
    const result = deleteRecordingsAndFiles(candidates, new Set(), {
      rule: "expiry",
      db: r.db,
      flush,
      deleteRows: (gone) => deleteRecordingsByRowid(r.db, gone),
    });
    expect(result.rows).toBe(3);
    expect(flushes.map((f) => f.dir).sort()).toEqual([...new Set(made.map((p) => dirname(p)))].sort());
    for (const f of flushes) expect(f).toMatchObject({ rowsLeft: 3, filesLeft: 0 }); // unlinks done, rows not yet gone
    expect(r.db.select().from(recordings).all()).toEqual([]);
  });
});

describe("schedules", () => {
  test("croner runs expiry, disk protection and clip clean-up on their intervals, with a fake clock", async () => {
    const future = NOW + 30 * DAY; // the jobs see a clock a month ahead
    const r = await rig("record: { retain: { days: 7 } }\ncameras:\n  cam: {}\n", { now: future });
    await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - DAY);
    mkdirSync(r.config.cacheDir, { recursive: true });
    const clip = join(r.config.cacheDir, "clip_cam-1.mp4");
    writeFileSync(clip, "x");
    arm(r);
    r.cleanup.start();
    await until(() => r.cleanup.counters.expiryRuns >= 1 && !existsSync(clip), 4_000, "the jobs to run");
    expect(r.cleanup.counters.expiryRuns).toBeGreaterThanOrEqual(1);
    expect(starts(r.db)).toEqual([]); // a month later, a 7-day camera keeps nothing
    expect(existsSync(clip)).toBe(false); // its mtime is a month before the fake now
  });
});

describe("schedules from the configuration", () => {
  test("record.expire_at runs expiry on its cron pattern; without it, every expire_interval minutes", () => {
    expect(defaultSchedules(configIn(tempDir(), "record: { expire_at: '15 3 * * *' }\n")).expiry).toEqual({
      cron: "15 3 * * *",
    });
    expect(defaultSchedules(configIn(tempDir(), "record: { expire_interval: 30 }\n")).expiry).toEqual({
      everySeconds: 1800,
    });
  });
  test("a cron schedule fires the job", async () => {
    const r = await rig("record: { retain: { days: 7 } }\ncameras:\n  cam: {}\n", { now: NOW + 30 * DAY });
    await storedSegment(r.db, r.config.recordingsDir, "cam", NOW - DAY);
    const cleanup = new Cleanup({
      config: r.config,
      db: r.db,
      storageProblem: () => undefined,
      clock: SANE,
      space: () => ({ total: 1, free: 1, bandwidth: 0, minFree: 0 }),
      clocks: new SimulatedClocks(NOW + 30 * DAY),
      schedules: {
        expiry: { cron: "* * * * * *" },
        disk: { cron: "0 0 1 1 *" },
        clips: { cron: "0 0 1 1 *" },
      },
    });
    cleanups.push(cleanup);
    cleanup.start();
    await until(() => cleanup.counters.expiryRuns >= 1, 3000, "expiry on a cron pattern of every second");
    expect(starts(r.db)).toEqual([]);
  });
});

describe("disk protection on a real, small file system (docs/retention.md)", () => {
  // Needs root to mount a real small volume; shown as skipped otherwise.
  test.skipIf(!canMountTmpfs())(
    "deletes oldest first, spares indefinitely retained footage, counts bytes really freed",
    async () => {
      const mnt = tempDir("camkeep-tmpfs-");
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt]).exitCode).toBe(0);
      try {
        const size = Bun.file(await segmentFile(2)).size;
        let threshold = 0;
        // The database off the small volume, as on a Pi with footage on a USB disk: then the
        // volume's free space moves only with the footage.
        const r = await rig(
          `database: ${join(tempDir(), "camkeep.db")}\nrecord: { retain: { days: 30 }, events: { pre_capture: 0, post_capture: 0 } }\ncameras:\n  cam: {}\n`,
          { dir: mnt, minFree: () => threshold },
        );
        // Fill the volume with real copies until under ~1 MB is free.
        const made: number[] = [];
        for (let i = 0; volumeSpace(r.config.recordingsDir).free > 1 << 20; i++) {
          made.push(NOW - 3 * DAY + i * 2);
          await storedSegment(r.db, r.config.recordingsDir, "cam", made.at(-1)!, { copy: true });
        }
        r.db
          .insert(events)
          .values({
            id: "keep",
            camera: "cam",
            label: "person",
            start_time: made[0]!,
            end_time: made[1]! + 1,
            retain_indefinitely: true,
          })
          .run();
        arm(r);
        threshold = volumeSpace(r.config.recordingsDir).free + 10 * size;
        const report = await r.cleanup.protectDiskNow();
        expect(report).toBeDefined();
        expect(report!.onlyKeptForeverLeft).toBe(false);
        expect(volumeSpace(r.config.recordingsDir).free).toBeGreaterThanOrEqual(threshold);
        expect(report!.freedBytes).toBe(report!.freeAfter - report!.freeBefore);
        const left = starts(r.db);
        expect(left.slice(0, 2)).toEqual([made[0]!, made[1]!]); // spared: retained indefinitely
        expect(left[2]).toBe(made[2 + report!.deleted]!); // the next oldest went, in order
        for (const row of r.db.select().from(recordings).all()) expect(existsSync(row.path)).toBe(true);
        expect(
          readdirSync(dirname(storagePath(r.config.recordingsDir, "cam", made.at(-1)!))).length,
        ).toBeGreaterThan(0);
      } finally {
        for (const c of cleanups.splice(0)) await c.stop();
        for (const db of dbs.splice(0)) db.$client.close(true);
        Bun.spawnSync(["umount", mnt]);
      }
    },
  );
});

describe("disk protection's order (docs/retention.md)", () => {
  /** A volume of `capacity` bytes holding exactly the local recordings' files. */
  const volume = (db: Db, capacity: number) => () =>
    capacity -
    (
      db.$client
        .query("SELECT coalesce(sum(segment_size), 0) AS b FROM recordings WHERE tier IS NULL")
        .get() as { b: number }
    ).b;

  test("footage no event holds goes first, newer or not; then event footage, oldest first; footage kept forever never — and then it says so", async () => {
    const r = await rig(
      "record: { retain: { days: 30 }, events: { pre_capture: 0, post_capture: 0, retain: { default: 30 } } }\ncameras:\n  cam: {}\n",
    );
    const T = NOW - 3 * DAY;
    const start = (i: number) => T + i * 10;
    for (let i = 0; i < 8; i++)
      await storedSegment(r.db, r.config.recordingsDir, "cam", start(i), { copy: true });
    const size = r.db.select().from(recordings).all()[0]!.segment_size;
    // #0–#1 held by an event, #2–#3 kept forever, #4–#7 newer footage no event holds.
    r.db
      .insert(events)
      .values({ id: "e", camera: "cam", label: "person", start_time: start(0), end_time: start(1) + 1 })
      .run();
    r.db
      .insert(events)
      .values({
        id: "k",
        camera: "cam",
        label: "kept",
        start_time: start(2),
        end_time: start(3) + 1,
        retain_indefinitely: true,
      })
      .run();
    const capacity = 10 * size;
    const free = volume(r.db, capacity);
    // Room for 5 more wanted (2 free): 3 must go — the oldest three no event holds, though newer.
    const first = await protectDisk({ config: r.config, db: r.db, threshold: 5 * size, free });
    expect(first).toMatchObject({ deleted: 3, byHold: { none: 3, event: 0 }, onlyKeptForeverLeft: false });
    expect(starts(r.db)).toEqual([0, 1, 2, 3, 7].map(start));
    // Room for 8 wanted: the last free one, then event footage, oldest first; what is kept forever stays.
    const second = await protectDisk({ config: r.config, db: r.db, threshold: 8 * size, free });
    expect(second).toMatchObject({ deleted: 3, byHold: { none: 1, event: 2 }, onlyKeptForeverLeft: false });
    expect(starts(r.db)).toEqual([2, 3].map(start));
    // More than that: nothing else may go. It says so, and deletes nothing.
    const third = await protectDisk({ config: r.config, db: r.db, threshold: 9 * size, free });
    expect(third).toMatchObject({ deleted: 0, onlyKeptForeverLeft: true });
    expect(starts(r.db)).toEqual([2, 3].map(start));
  });
});

describe("when only footage kept forever is left (docs/retention.md)", () => {
  const keeper = keepers();
  test.skipIf(!canMountTmpfs())(
    "storing stops, loudly (health, status, metrics); new segments wait in the cache; room again resumes",
    async () => {
      const mnt = tempDir("camkeep-tmpfs-");
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt]).exitCode).toBe(0);
      try {
        const dir = tempDir();
        const yaml = (minFree: string) =>
          `recordings_dir: ${mnt}\napi: { listen: 127.0.0.1:0 }\nstorage: { min_free: ${minFree} }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 30 }, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }\ncameras:\n  cam: {}\n`;
        let app = await keeper.start(configIn(dir, yaml("1")));
        // The volume filled with footage kept forever.
        const T = NOW - DAY;
        let n = 0;
        while (volumeSpace(mnt).free > 1 << 20)
          await storedSegment(app.db, mnt, "cam", T + 10 * n++, { copy: true });
        app.db
          .insert(events)
          .values({
            id: "k",
            camera: "cam",
            label: "kept",
            start_time: T,
            end_time: T + 10 * n,
            retain_indefinitely: true,
          })
          .run();
        await keeper.stop(app);
        app = await keeper.start(configIn(dir, yaml(String(volumeSpace(mnt).free + (1 << 20)))));
        const report = await app.cleanup.protectDiskNow();
        expect(report).toMatchObject({ deleted: 0, onlyKeptForeverLeft: true });
        expect(recordingRows(app.db)).toHaveLength(n); // nothing kept forever deleted

        const auth = { authorization: `Bearer ${app.token}` };
        app.health.refresh(); // (its timer would within seconds)
        const health = await fetch(`${app.url}/healthz`);
        expect(health.status).toBe(503);
        expect(JSON.stringify(await health.json())).toContain("storing stopped");
        const status = await (await fetch(`${app.url}/api/status`, { headers: auth })).json();
        expect(status.storage.storing_halted).toContain("kept forever");
        expect(await (await fetch(`${app.url}/metrics`, { headers: auth })).text()).toContain(
          "camkeep_storing_halted 1",
        );
        // A new segment waits in the cache.
        const waiting = await putSegment(
          app.config.cacheDir,
          segmentName("cam", NOW - 120),
          2,
          (NOW - 118) * 1000,
        );
        const passes = app.maintainer.stats.passes;
        await until(() => app.maintainer.stats.passes >= passes + 3, 10_000, "three passes");
        expect(existsSync(waiting)).toBe(true);
        expect(recordingRows(app.db)).toHaveLength(n);

        // The operator releases the kept footage: the next check makes room, and storing resumes.
        app.db.$client.run("UPDATE events SET retain_indefinitely = 0");
        const freed = await app.cleanup.protectDiskNow();
        expect(freed).toMatchObject({ onlyKeptForeverLeft: false, byHold: { none: 0 } });
        expect(freed!.byHold.event).toBeGreaterThan(0);
        expect(app.cleanup.storingHalted).toBeNull();
        await until(() => !existsSync(waiting), 10_000, "the waiting segment to be stored");
        app.health.refresh();
        expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      } finally {
        Bun.spawnSync(["umount", "-l", mnt]);
      }
    },
    60_000,
  );
});

describe("temporary clips", () => {
  test("clip_ files older than 5 minutes are removed, others kept", async () => {
    const r = await rig("");
    mkdirSync(r.config.cacheDir, { recursive: true });
    const stale = join(r.config.cacheDir, "clip_a.mp4");
    const fresh = join(r.config.cacheDir, "clip_b.mp4");
    const segment = join(r.config.cacheDir, "cam-20260101000000.mp4");
    for (const f of [stale, fresh, segment]) writeFileSync(f, "x");
    for (const f of [stale, segment]) utimesSync(f, NOW - 600, NOW - 600);
    expect(r.cleanup.removeClipsNow()).toBe(1);
    expect([stale, fresh, segment].map(existsSync)).toEqual([false, true, true]);
  });
});
