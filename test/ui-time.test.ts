import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { motionPeriods } from "../src/playback/motion-periods.ts";
import { cameraLink, readCameraLink } from "../src/ui/links.ts";
import { moments, stepMoment } from "../src/ui/review.ts";
import { nextBufferedStart, seekableAt } from "../src/ui/playback/gaps.ts";
import { bucketSpans, dayBounds, localDay, motionPerMinute } from "../src/ui/time.ts";
import { MIN_SPAN_S, clampView, followView, place, ticks, zoomView } from "../src/ui/timeline-view.ts";

/** The page's day math, in a zone with DST (Bun follows TZ changes at run time). */
const saved = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "Europe/Berlin";
});
afterAll(() => {
  // (Assigning undefined would set the string "undefined": every later test, and the browsers they
  // start, would run in a zone that does not exist.)
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

describe("page time math", () => {
  test("a fall-back day has 25 hours, a spring-forward day 23", () => {
    const fall = dayBounds("2026-10-25");
    expect(fall.end - fall.start).toBe(25 * 3600);
    const spring = dayBounds("2026-03-29");
    expect(spring.end - spring.start).toBe(23 * 3600);
  });
  test("days start at local midnight", () => {
    const { start } = dayBounds("2026-07-01");
    expect(new Date(start * 1000).toISOString()).toBe("2026-06-30T22:00:00.000Z");
    expect(localDay(start)).toBe("2026-07-01");
    expect(localDay(start - 1)).toBe("2026-06-30");
  });
  test("merged spans", () => {
    expect(
      bucketSpans([
        { bucket: 0, segments: 3 },
        { bucket: 900, segments: 1 },
        { bucket: 1800, segments: 0 },
        { bucket: 2700, segments: 2 },
      ]),
    ).toEqual([
      { start: 0, end: 1800 },
      { start: 2700, end: 3600 },
    ]);
  });
  test("motion per minute: each segment's motion spread over the minutes it covers, intensity against the busiest", () => {
    const m0 = 1_790_000_040; // a whole minute
    expect(
      motionPerMinute([
        { start_time: m0 + 50, end_time: m0 + 70, motion: 100 }, // 10 s in each of two minutes
        { start_time: m0 + 120, end_time: m0 + 130, motion: 0 }, // no motion: no mark
        { start_time: m0 + 130, end_time: m0 + 140, motion: 200 },
      ]),
    ).toEqual([
      { minute: m0, motion: 50, intensity: 0.25 },
      { minute: m0 + 60, motion: 50, intensity: 0.25 },
      { minute: m0 + 120, motion: 200, intensity: 1 },
    ]);
  });
});

describe("the timeline's view (zoom from a day to a minute)", () => {
  test("zooming keeps the moment under the pointer where it is, and stops at a minute and at the day", () => {
    const day = dayBounds("2026-07-01"); // (in the test's zone: set before each test runs)
    const at = day.start + 6 * 3600;
    const v = zoomView(day, day, 0.5, at);
    expect(v.end - v.start).toBe(12 * 3600);
    expect(place(v, at)).toBeCloseTo(place(day, at), 9);
    let z = v;
    for (let i = 0; i < 30; i++) z = zoomView(z, day, 0.5, at);
    expect(z.end - z.start).toBe(MIN_SPAN_S);
    expect(place(z, at)).toBeCloseTo(0.25, 6);
    expect(zoomView(z, day, 1e6, at)).toEqual(day);
  });
  test("a zoom at the day's edge stays inside the day; following the playhead moves the view by as little as needed", () => {
    const day = dayBounds("2026-07-01");
    const v = zoomView(day, day, 1 / 24, day.start + 10);
    expect(v.start).toBeGreaterThanOrEqual(day.start);
    const hour = { start: day.start, end: day.start + 3600 };
    expect(followView(hour, day, day.start + 1800)).toBe(hour);
    const moved = followView(hour, day, day.start + 4000);
    expect(moved.end - moved.start).toBe(3600);
    expect(place(moved, day.start + 4000)).toBeCloseTo(0.9, 6);
    expect(clampView({ start: day.end - 10, end: day.end + 50 }, day)).toEqual({
      start: day.end - 60,
      end: day.end,
    });
  });
  test("ticks fall on the local clock's marks, at most a dozen, with seconds under a minute", () => {
    const day = dayBounds("2026-07-01");
    const all = ticks(day);
    expect(all.length).toBeLessThanOrEqual(13);
    expect(all[0]!.label).toBe("00:00");
    expect(all.map((t) => t.label)).toContain("12:00");
    const minute = ticks({ start: day.start + 3600 + 5, end: day.start + 3665 });
    expect(minute.map((t) => t.label)).toEqual([
      "01:00:10",
      "01:00:20",
      "01:00:30",
      "01:00:40",
      "01:00:50",
      "01:01:00",
    ]);
  });
});

describe("links, moments, motion periods", () => {
  test("a link names a camera's day or a moment (in UTC: the same moment in every zone), and reads back", () => {
    const at = Date.parse("2026-07-01T21:59:30Z") / 1000; // 23:59:30 in Berlin
    const link = cameraLink("front door", { at });
    expect(link).toBe("#/camera/front%20door/2026-07-01T21:59:30Z");
    expect(readCameraLink(link)).toEqual({ camera: "front door", at, day: "2026-07-01" });
    expect(readCameraLink(cameraLink("gate", { day: "2026-07-02" }))).toEqual({
      camera: "gate",
      day: "2026-07-02",
    });
    expect(readCameraLink("#/camera/gate/not-a-day")).toEqual({ camera: "gate", day: undefined });
    expect(readCameraLink("#/")).toBeUndefined();
  });
  test("next and previous moment: events and motion apart; back skips the one just started", () => {
    const list = moments(
      [
        { id: "e1", label: "person", start_time: 100, end_time: 110 },
        { id: "e2", label: "car", start_time: 300, end_time: null },
      ],
      [
        { start: 50, end: 120 },
        { start: 400, end: 420 },
      ],
      1000,
    );
    expect(list.map((m) => `${m.kind}@${m.start}`)).toEqual([
      "motion@50",
      "event@100",
      "event@300",
      "motion@400",
    ]);
    expect(list[2]!.end).toBe(1000); // an open event runs to now
    expect(stepMoment(list, "event", 0, 1)).toBe(100);
    expect(stepMoment(list, "event", 100, 1)).toBe(300);
    expect(stepMoment(list, "event", 301, -1)).toBe(100); // 300 just started
    expect(stepMoment(list, "motion", 200, 1)).toBe(400);
    expect(stepMoment(list, "motion", 52, -1)).toBeUndefined();
    expect(stepMoment(list, "event", 500, 1)).toBeUndefined();
  });
  test("motion periods: judged segments with motion, merged across short pauses; unjudged ones say nothing", () => {
    const s = (start: number, motion: number, unjudged = false) => ({
      start_time: start,
      end_time: start + 10,
      motion,
      unjudged,
    });
    expect(motionPeriods([s(0, 5), s(10, 0), s(20, 9), s(30, 0, true), s(100, 3), s(200, 0, true)])).toEqual([
      { start: 0, end: 30, peak: 9 }, // 10 s without motion between: one period
      { start: 100, end: 110, peak: 3 }, // 70 s after: a new one
    ]);
    expect(motionPeriods([s(0, 5), s(100, 5)], 100)).toEqual([{ start: 0, end: 110, peak: 5 }]);
  });
});

describe("holes in the buffer (pure)", () => {
  const ranges: [number, number][] = [
    [0, 10],
    [16, 30],
    [30.4, 40],
  ];
  test("a playhead well inside a range plays on", () => {
    expect(nextBufferedStart(ranges, 5)).toBeUndefined();
    expect(nextBufferedStart(ranges, 35)).toBeUndefined();
  });
  test("stopped short of a gap's edge (Chromium halts early), or in it: on to the next range", () => {
    expect(nextBufferedStart(ranges, 9.918)).toBe(16); // the page waited for .934; the browser sat at .918
    expect(nextBufferedStart(ranges, 10)).toBe(16);
    expect(nextBufferedStart(ranges, 12)).toBe(16);
    expect(nextBufferedStart(ranges, 29.9)).toBe(30.4); // a hole the browser made (WebKit)
  });
  test("while playing, only at the very edge; at the end of the last range, nowhere to go", () => {
    expect(nextBufferedStart(ranges, 9.918, 0.05)).toBeUndefined();
    expect(nextBufferedStart(ranges, 9.97, 0.05)).toBe(16);
    expect(nextBufferedStart(ranges, 39.9)).toBeUndefined();
  });
});

describe("trick play's seeks (pure)", () => {
  test("inside a range: where asked; between key frames WebKit buffered as a frame each: the key frame before", () => {
    const merged: [number, number][] = [[0, 60]]; // Chromium: the keyframe view as one range
    expect(seekableAt(merged, 12.34)).toBe(12.34);
    const keys: [number, number][] = [
      [0, 0.07],
      [1, 1.07],
      [2, 2.07],
    ]; // WebKit: each key frame a frame long
    expect(seekableAt(keys, 1.5)).toBe(1);
    expect(seekableAt(keys, 2.03)).toBe(2.03);
    expect(seekableAt(keys, 9)).toBe(2);
    expect(seekableAt([], 5)).toBe(5);
  });
});
