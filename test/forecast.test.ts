import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDb } from "../src/db/open.ts";
import { storedSums } from "../src/db/rollups.ts";
import { cameraForecast, type StoredSums, storageForecast, tierForecasts } from "../src/domain/forecast.ts";
import type { EventRule, Retention } from "../src/domain/retain.ts";
import { configIn, keepers, recordingRows, storedSegment, tempDir } from "./helpers.ts";

/**
 * Days left (docs/storage.md#days-left), pure: synthetic archives with known rates — steady, a
 * camera added days ago, a rate that doubled yesterday — and the figures they must give.
 */
const DAY = 86_400;
const GB = 1e9;
const NOW = 1_796_000_000 - (1_796_000_000 % DAY) + 12 * 3600; // noon, UTC

type BucketBytes = { bucket: number; bytes: number };

/** Quarter hours from `from` to NOW, each holding `perDay(t)` / 96 bytes. */
function archive(from: number, perDay: (t: number) => number): BucketBytes[] {
  const out: BucketBytes[] = [];
  for (let t = Math.ceil(from / 900) * 900; t < NOW; t += 900) out.push({ bucket: t, bytes: perDay(t) / 96 });
  return out;
}
/** The sums the rollups give of quarter hours (what db/rollups.ts's storedSums asks SQLite for). */
function sumsOf(buckets: BucketBytes[]): StoredSums {
  const within = (days: number) =>
    buckets.reduce((n, b) => (b.bucket >= NOW - days * DAY && b.bucket < NOW ? n + b.bytes : n), 0);
  const days = new Map<number, number>();
  for (const b of buckets) {
    const day = Math.floor(b.bucket / DAY) * DAY;
    days.set(day, (days.get(day) ?? 0) + b.bytes);
  }
  return { lastDay: within(1), lastWeek: within(7), days: [...days].map(([day, bytes]) => ({ day, bytes })) };
}
/** A camera's rules: continuous for `days` (none when undefined), and `events`. */
const keeps = (days?: number, events: EventRule[] = []): Retention => ({
  shape: "0.15",
  continuous: days === undefined ? [] : [{ days, mode: "all", recheck: false }],
  events,
});
const forecast = (
  buckets: BucketBytes[],
  firstStart: number,
  extra: Partial<Parameters<typeof cameraForecast>[0]> = {},
) =>
  cameraForecast({
    sums: sumsOf(buckets),
    firstStart,
    keptBytes: 0,
    retention: keeps(),
    quotaBytes: undefined,
    now: NOW,
    ...extra,
  });

describe("a camera's rate, and how sure it is", () => {
  test("a steady camera: the same rate by the day and by the week, on a day and a week of history", () => {
    const f = forecast(
      archive(NOW - 30 * DAY, () => 10 * GB),
      NOW - 30 * DAY,
    );
    expect(f.last_day).toEqual({ bytes_per_day: 10 * GB, history_days: 1 });
    expect(f.last_week).toEqual({ bytes_per_day: 10 * GB, history_days: 7 });
    expect(f.daily).toHaveLength(30);
    expect(f.daily.at(-1)).toEqual({ day: new Date(NOW * 1000).toISOString().slice(0, 10), bytes: 5 * GB });
    expect(f.daily[0]!.bytes).toBe(10 * GB);
  });

  test("a camera added five days ago: its week rests on five days, and is its real rate", () => {
    const f = forecast(
      archive(NOW - 5 * DAY, () => 4 * GB),
      NOW - 5 * DAY,
    );
    expect(f.last_week).toEqual({ bytes_per_day: 4 * GB, history_days: 5 });
    expect(f.daily.slice(0, 24).every((d) => d.bytes === 0)).toBe(true); // the days before it: nothing
  });

  test("a rate that doubled yesterday: the day says so, the week moves by a seventh of it", () => {
    const f = forecast(
      archive(NOW - 30 * DAY, (t) => (t >= NOW - DAY ? 20 * GB : 10 * GB)),
      NOW - 30 * DAY,
    );
    expect(f.last_day.bytes_per_day).toBe(20 * GB);
    expect(f.last_week.bytes_per_day).toBe(Math.round((6 * 10 * GB + 20 * GB) / 7));
  });

  test("under an hour of footage says nothing; no footage says nothing", () => {
    const f = forecast(
      archive(NOW - 1800, () => 10 * GB),
      NOW - 1800,
    );
    expect(f.last_day).toEqual({ bytes_per_day: null, history_days: 0 });
    expect(forecast([], undefined as unknown as number).last_week.bytes_per_day).toBeNull();
  });

  test("when retention starts to delete, and when the quota is full", () => {
    const f = forecast(
      archive(NOW - 3 * DAY, () => 2 * GB),
      NOW - 3 * DAY,
      {
        retention: keeps(7),
        quotaBytes: 20 * GB,
        keptBytes: 6 * GB,
      },
    );
    expect(f.retention_bites_in_days).toBe(4);
    expect(f.quota_days_left).toBe(7); // 14 GB left at 2 GB a day
    const old = forecast(
      archive(NOW - 30 * DAY, () => 2 * GB),
      NOW - 30 * DAY,
      { retention: keeps(7) },
    );
    expect(old.retention_bites_in_days).toBe(0); // it deletes already
  });

  test("each retention rule, continuous and of events (and their labels), says when it starts to delete", () => {
    const rule = (r: Partial<EventRule>): EventRule => ({
      pre_capture: 5,
      post_capture: 5,
      days: 10,
      mode: "all",
      objects: {},
      zones: [],
      ...r,
    });
    const f = forecast(
      archive(NOW - 3 * DAY, () => GB),
      NOW - 3 * DAY,
      {
        retention: keeps(2, [
          rule({ severity: "alert", days: 30, objects: { person: 60 } }),
          rule({ severity: "detection", days: 10, mode: "motion", labels: ["car"], zones: ["drive"] }),
        ]),
      },
    );
    expect(f.rules).toEqual([
      { rule: "continuous", days: 2, bites_in_days: 0 },
      { rule: "alerts", days: 30, bites_in_days: 27 },
      { rule: "alerts: person", days: 60, bites_in_days: 57 },
      { rule: "detections of car in drive (motion)", days: 10, bites_in_days: 7 },
    ]);
    expect(f.retention_days).toBe(2);
  });
});

describe("a tier's days", () => {
  test("a copy tier takes every camera; a move tier those that keep footage past its age; a bucket has no end", () => {
    const cameras = [
      { last_day: 20 * GB, last_week: 10 * GB, keepsDays: 30 }, // doubled yesterday
      { last_day: 5 * GB, last_week: 5 * GB, keepsDays: 3 }, // deleted before it would move after a week
      { last_day: null, last_week: null, keepsDays: 30 }, // no rate yet: not guessed
    ];
    const by = (last_day: number | null, last_week: number | null) => ({ last_day, last_week });
    expect(
      tierForecasts(
        [
          { name: "usb", copy: true, freeBytes: 300 * GB },
          { name: "nas", copy: false, after: 7 * DAY, freeBytes: 50 * GB },
          { name: "bucket", copy: true, freeBytes: null },
        ],
        cameras,
      ),
    ).toEqual([
      { name: "usb", bytes_per_day: by(25 * GB, 15 * GB), free_bytes: 300 * GB, days_until_full: by(12, 20) },
      { name: "nas", bytes_per_day: by(20 * GB, 10 * GB), free_bytes: 50 * GB, days_until_full: by(2.5, 5) },
      {
        name: "bucket",
        bytes_per_day: by(25 * GB, 15 * GB),
        free_bytes: null,
        days_until_full: by(null, null),
      },
    ]);
    const none = [{ last_day: null, last_week: null, keepsDays: 1 }];
    expect(tierForecasts([{ name: "x", copy: true, freeBytes: GB }], none)).toEqual([
      { name: "x", bytes_per_day: by(null, null), free_bytes: GB, days_until_full: by(null, null) },
    ]);
  });
});

test("SQLite sums the rollups as the forecast expects: the last day, the last week, each day of 30", () => {
  const db = openDb(join(tempDir(), "camkeep.db"));
  const buckets = archive(NOW - 40 * DAY, (t) => (t >= NOW - DAY ? 20 * GB : 10 * GB)).map((b) => ({
    ...b,
    bytes: Math.round(b.bytes),
  }));
  const insert = db.$client.prepare(
    "INSERT INTO recording_buckets (camera, bucket, segments, duration_ms, bytes, motion, objects) VALUES ('door', ?, 1, 1000, ?, 0, 0)",
  );
  db.$client.transaction(() => {
    for (const b of buckets) insert.run(b.bucket, b.bytes);
  })();
  const fromSql = storedSums(db, "door", NOW);
  const all = sumsOf(buckets);
  const thirty = sumsOf(buckets.filter((b) => b.bucket >= Math.floor(NOW / DAY) * DAY - 29 * DAY));
  expect([fromSql.lastDay, fromSql.lastWeek]).toEqual([all.lastDay, all.lastWeek]);
  expect([...fromSql.days].sort((a, b) => a.day - b.day)).toEqual([...thirty.days]);
  db.$client.close(true);
});

describe("the storage's days", () => {
  test("days until full and days held, at each rate, resting on the least history of any camera", () => {
    const steady = forecast(
      archive(NOW - 30 * DAY, () => 6 * GB),
      NOW - 30 * DAY,
    );
    const added = forecast(
      archive(NOW - 2 * DAY, () => 4 * GB),
      NOW - 2 * DAY,
    );
    const s = storageForecast({
      cameras: [steady, added],
      freeBytes: 110 * GB,
      minFreeBytes: 10 * GB,
      keptBytes: 150 * GB,
    });
    expect(s.bytes_per_day).toEqual({ last_day: 10 * GB, last_week: 10 * GB });
    expect(s.days_until_full).toEqual({ last_day: 10, last_week: 10 });
    expect(s.days_held).toEqual({ last_day: 25, last_week: 25 });
    expect(s.history_days).toBe(2);
  });

  test("no footage yet: no rate, no days", () => {
    const s = storageForecast({ cameras: [], freeBytes: GB, minFreeBytes: 0, keptBytes: 0 });
    expect(s.days_held).toEqual({ last_day: null, last_week: null });
  });
});

describe("days left in a running keeper", () => {
  const keeper = keepers();
  test("status, metrics and the storage's state carry the forecast the rollups give", async () => {
    const dir = tempDir();
    const app = await keeper.start(
      configIn(
        dir,
        `api: { listen: 127.0.0.1:0 }\nstorage: { tiers: [{ name: usb, copy: true, path: ${join(dir, "usb")} }] }\ncameras:\n  door: {}\n`,
      ),
    );
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 6; i++)
      await storedSegment(app.db, app.config.recordingsDir, "door", now - 2 * 3600 + i * 2);
    const get = async (path: string) =>
      await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${app.token}` } });
    const status = await (await get("/api/status")).json();
    const f = status.cameras.door.forecast;
    const stored = recordingRows(app.db).reduce((n, r) => n + r.segment_size, 0);
    expect(f.daily).toHaveLength(30);
    expect(f.daily.reduce((n: number, d: { bytes: number }) => n + d.bytes, 0)).toBe(stored);
    // Two hours of history: the day's and the week's rate rest on them alike.
    expect(f.last_week.history_days).toBeCloseTo(f.last_day.history_days, 5);
    expect(f.last_day.bytes_per_day).toBeGreaterThan(0);
    expect(status.storage.forecast.days_held.last_week).toBeGreaterThan(0);
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/camkeep_storage_days_held\{basis="last_week"\} \d/);
    expect(metrics).toContain(
      `camkeep_camera_bytes_per_day{camera="door",basis="last_day"} ${f.last_day.bytes_per_day}`,
    );
    expect(metrics).not.toContain("camkeep_camera_quota_days_left{"); // no quota: no figure
    // The copy tier takes the camera's rate; its folder's volume has room for so many days.
    const usb = status.tiers.find((t: { name: string }) => t.name === "usb").forecast;
    const rate = f.last_day.bytes_per_day;
    expect(usb.bytes_per_day).toEqual({ last_day: rate, last_week: rate });
    expect(usb.free_bytes).toBeGreaterThan(0);
    expect(usb.days_until_full.last_week).toBeCloseTo(usb.free_bytes / rate, -1);
    expect(metrics).toMatch(/camkeep_tier_days_until_full\{tier="usb",basis="last_week"\} \d/);
    // The default rules: no continuous days (not listed), events with motion for 10 days, deleting from in 10 days less the history.
    expect(f.rules).toEqual([{ rule: "events (motion)", days: 10, bites_in_days: 9.9 }]);
  });
});
