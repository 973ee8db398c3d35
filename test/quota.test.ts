import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { holdOf, pickForQuota, type Hold } from "../src/cleanup/quota-verdict.ts";
import { enforceQuotas } from "../src/cleanup/quotas.ts";
import { ConfigError, parseConfig } from "../src/config/load.ts";
import type { HoldingEvent } from "../src/db/events.ts";
import { insertEvent } from "../src/db/events.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { ArchiveTotals } from "../src/db/totals.ts";
import { reconcileStorage } from "../src/storage/reconcile.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import {
  BUN,
  ROOT,
  configIn,
  keepers,
  putSegment,
  recordingRows,
  rollupsAndTruth,
  segmentName,
  storedSegment,
  tempDir,
  until,
} from "./helpers.ts";

/** Per-camera quotas (record.max_size, docs/tiers.md). */
const row = (i: number, hold: Hold, segment_size = 100) => ({ i, hold, segment_size });

describe("the quota rule (pure)", () => {
  const rows = [row(1, "event"), row(2, "none"), row(3, "indefinite"), row(4, "none"), row(5, "event")];
  test("at or under the quota nothing goes", () => {
    expect(pickForQuota(rows, 0, "none")).toEqual([]);
    expect(pickForQuota(rows, -5, "none")).toEqual([]);
  });
  test("one byte over: the oldest row held by nothing", () => {
    expect(pickForQuota(rows, 1, "none").map((r) => r.i)).toEqual([2]);
  });
  test("exactly a row's size over: that row; one byte more: the next too", () => {
    expect(pickForQuota(rows, 100, "none").map((r) => r.i)).toEqual([2]);
    expect(pickForQuota(rows, 101, "none").map((r) => r.i)).toEqual([2, 4]);
  });
  test("event footage only when asked for (after all free footage), oldest first; indefinite never", () => {
    expect(pickForQuota(rows, 1000, "none").map((r) => r.i)).toEqual([2, 4]);
    expect(pickForQuota(rows, 1000, "event").map((r) => r.i)).toEqual([1, 5]);
  });
  test("what holds a recording", () => {
    const cam = parseConfig(
      "record: { events: { pre_capture: 5, post_capture: 5 } }\ncameras: { c: {} }\n",
      "/c.yml",
    ).cameras.c!.record;
    const ev = (over: Partial<HoldingEvent>): HoldingEvent => ({
      start_time: 100,
      end_time: 110,
      has_clip: true,
      retain_indefinitely: false,
      label: "person",
      severity: null,
      zones: [],
      ...over,
    });
    expect(holdOf({ start_time: 0, end_time: 10 }, [], cam)).toBe("none");
    expect(holdOf({ start_time: 90, end_time: 96 }, [ev({})], cam)).toBe("event"); // pre_capture reaches it
    expect(holdOf({ start_time: 90, end_time: 96 }, [ev({ retain_indefinitely: true })], cam)).toBe(
      "indefinite",
    );
    expect(holdOf({ start_time: 0, end_time: 10 }, [ev({})], cam)).toBe("none");
  });
  test("record.max_size: sizes as storage.min_free, global and per camera", () => {
    const c = parseConfig(
      "record: { max_size: 200GB }\ncameras: { a: {}, b: { record: { max_size: 500MiB } } }\n",
      "/c.yml",
    );
    expect(c.cameras.a!.record.max_size).toBe(200e9);
    expect(c.cameras.b!.record.max_size).toBe(500 * 2 ** 20);
    expect(() => parseConfig("record: { max_size: lots }\n", "/c.yml")).toThrow(ConfigError);
  });
});

describe("quotas on real files", () => {
  const keeper = keepers();
  const dbs: Db[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.$client.close(true);
  });
  test("a camera over its quota loses its oldest free footage first, then event footage; indefinite events keep theirs; others are untouched", async () => {
    const dir = tempDir();
    const probeDb = openDb(`${dir}/probe.db`);
    const size = Bun.file(
      await storedSegment(probeDb, `${dir}/probe`, "x", 1_790_000_000, { copy: true }),
    ).size;
    probeDb.$client.close(true);
    const config = configIn(
      dir,
      `record: { retain: { days: 30 }, events: { pre_capture: 0, post_capture: 0 } }\ncameras:\n  cam: { record: { max_size: ${size * 4} } }\n  other: {}\n`,
    );
    const db = openDb(config.database);
    dbs.push(db);
    await reconcileStorage(db, ffmpegEngine(), config.recordingsDir);
    const T = Math.floor(Date.now() / 1000) - 3600;
    const paths: string[] = [];
    for (let i = 0; i < 8; i++)
      paths.push(await storedSegment(db, config.recordingsDir, "cam", T + i * 10, { copy: true }));
    const others = [await storedSegment(db, config.recordingsDir, "other", T, { copy: true })];
    personEvent(db, "e1", T + 1, T + 1.5); // holds #0
    personEvent(db, "e2", T + 11, T + 31.5, true); // holds #1–#3 forever
    const [report] = await enforceQuotas(config, db);
    // 8 over a quota of 4: the free ones (#4–#7) go first; that is enough.
    expect(paths.map(existsSync)).toEqual([true, true, true, true, false, false, false, false]);
    expect(report).toMatchObject({ camera: "cam", deleted: 4, heldOver: 0 });
    expect(others.every(existsSync)).toBe(true);
    // A smaller quota: the event footage (#0) goes next; the indefinite footage stays, reported.
    const tighter = configIn(
      dir,
      `record: { retain: { days: 30 }, events: { pre_capture: 0, post_capture: 0 } }\ncameras:\n  cam: { record: { max_size: ${size} } }\n  other: {}\n`,
    );
    const [again] = await enforceQuotas(tighter, db);
    expect(paths.slice(0, 4).map(existsSync)).toEqual([false, true, true, true]);
    expect(again).toMatchObject({ deleted: 1, heldOver: size * 2 });
    const { rollups, truth } = rollupsAndTruth(db);
    expect(rollups).toEqual(truth);
  });

  test("camkeep expire applies the quotas; --dry-run lists what each would delete, by rule, and deletes nothing", async () => {
    const dir = tempDir();
    const yaml = (quota: number) =>
      `data_dir: ${dir}\nrecord: { retain: { days: 30 }, events: { pre_capture: 0, post_capture: 0 } }\ncameras:\n  cam: { record: { max_size: ${quota} } }\n  other: {}\n`;
    const config = configIn(dir, yaml(1).replace(`data_dir: ${dir}\n`, ""));
    const db = openDb(config.database);
    dbs.push(db);
    await reconcileStorage(db, ffmpegEngine(), config.recordingsDir);
    const T = Math.floor(Date.now() / 1000) - 3600;
    const paths: string[] = [];
    for (let i = 0; i < 6; i++)
      paths.push(await storedSegment(db, config.recordingsDir, "cam", T + i * 10, { copy: true }));
    personEvent(db, "e1", T + 1, T + 1.5); // holds #0
    const size = Bun.file(paths[0]!).size;
    const file = `${dir}/camkeep.yml`;
    const expire = async (...args: string[]) => {
      const p = Bun.spawn(
        [`${ROOT}/node_modules/.bin/bun`, `${ROOT}/src/main.ts`, "expire", "--config", file, ...args],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      return { out, code };
    };
    // Room for one: the five free ones would go, then the event's.
    await Bun.write(file, yaml(Math.floor(size * 0.5)));
    const dry = await expire("--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("cam: would delete 5 recordings — over its quota of");
    expect(dry.out).toContain("(record.max_size), its oldest footage no event holds");
    expect(dry.out).toContain("cam: would delete 1 recordings — over its quota of");
    expect(dry.out).toContain("its oldest event footage");
    expect(dry.out).not.toContain("other:");
    expect(paths.every(existsSync)).toBe(true); // nothing deleted
    // Room for four: the two oldest free ones go, for real.
    await Bun.write(file, yaml(size * 4));
    const real = await expire();
    expect(real.out).toContain("cam: deleted 2 recordings — over its quota of");
    expect(paths.map(existsSync)).toEqual([true, false, false, true, true, true]);
    expect((await expire("--dry-run")).out).toContain(
      "quotas (record.max_size): every camera is within its quota",
    );
  }, 30_000);

  test("a keeper checks the quotas right after it starts, not a minute later", async () => {
    const dir = tempDir();
    const config = configIn(dir, "record: { retain: { days: 30 } }\ncameras:\n  cam: {}\n");
    const db = openDb(config.database);
    await reconcileStorage(db, ffmpegEngine(), config.recordingsDir);
    const T = Math.floor(Date.now() / 1000) - 3600;
    const paths: string[] = [];
    for (let i = 0; i < 4; i++)
      paths.push(await storedSegment(db, config.recordingsDir, "cam", T + i * 10, { copy: true }));
    db.$client.close(true);
    const size = Bun.file(paths[0]!).size;
    const app = await keeper.start(
      configIn(
        dir,
        `api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 30 }, max_size: ${size * 2} }\ncameras:\n  cam: {}\n`,
      ),
    );
    await until(() => app.cleanup.lastQuotas.has("cam"), 5000, "the quota applied at start");
    expect(paths.map(existsSync)).toEqual([false, false, true, true]);
    expect(app.cleanup.lastQuotas.get("cam")).toMatchObject({ deleted: 2 });
  });
});

describe("quotas beside another process", () => {
  const keeper = keepers();
  test("camkeep expire beside a running keeper: the keeper's next quota run counts what is really stored, and deletes nothing more", async () => {
    const dir = tempDir();
    const now = Math.floor(Date.now() / 1000);
    const config = configIn(dir, "cameras:\n  cam: {}\n");
    const db = openDb(config.database);
    await reconcileStorage(db, ffmpegEngine(), config.recordingsDir);
    const old = await storedSegment(db, config.recordingsDir, "cam", now - 2 * 86_400, { copy: true });
    for (let i = 0; i < 4; i++)
      await storedSegment(db, config.recordingsDir, "cam", now - 3600 + i * 10, { copy: true });
    db.$client.close(true);
    const size = Bun.file(old).size;
    // Five stored, room for five and a half: within the quota. A day's retention: one has expired.
    const yaml = `data_dir: ${dir}\napi: { listen: 127.0.0.1:0 }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, max_size: ${Math.floor(size * 5.5)}, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }\ncameras:\n  cam: {}\n`;
    await Bun.write(`${dir}/camkeep.yml`, yaml);
    const app = await keeper.start(parseConfig(yaml, `${dir}/camkeep.yml`));
    await app.cleanup.enforceQuotasNow();
    expect(recordingRows(app.db)).toHaveLength(5);

    // The operator expires by hand beside the keeper (docs/retention.md: safe).
    const expire = Bun.spawn([BUN, `${ROOT}/src/main.ts`, "expire", "--config", `${dir}/camkeep.yml`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await expire.exited).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(recordingRows(app.db)).toHaveLength(4);

    // The keeper stores one more: five again, still within the quota.
    await putSegment(config.cacheDir, segmentName("cam", now - 600), 2, (now - 598) * 1000);
    await until(() => recordingRows(app.db).length === 5, 15_000, "the new segment stored");
    const stored = recordingRows(app.db).reduce((n, r) => n + r.segment_size, 0);
    expect(stored).toBeLessThanOrEqual(size * 5.5);
    expect(new ArchiveTotals(app.db).camera("cam")).toMatchObject({ segments: 5, bytes: stored });

    await app.cleanup.enforceQuotasNow();
    expect(recordingRows(app.db)).toHaveLength(5);
    expect(app.cleanup.lastQuotas.get("cam")?.deleted ?? 0).toBe(0);
  }, 60_000);
});

/** A person event of camera "cam" (kept forever with `indefinite`). */
function personEvent(db: Db, id: string, start_time: number, end_time: number, indefinite = false): void {
  insertEvent(db, {
    id,
    camera: "cam",
    label: "person",
    start_time,
    end_time,
    has_clip: true,
    retain_indefinitely: indefinite,
    severity: null,
    zones: [],
  });
}
