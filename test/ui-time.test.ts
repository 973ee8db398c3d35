import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bucketSpans, dayBounds, fraction, hourMarks, localDay, motionPerMinute } from "../src/ui/time.ts";

/** The page's day math, in a zone with DST (Bun follows TZ changes at run time). */
const saved = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "Europe/Berlin";
});
afterAll(() => {
  process.env.TZ = saved;
});

describe("page time math", () => {
  test("a fall-back day has 25 hours, the 02 hour twice", () => {
    const { start, end } = dayBounds("2026-10-25");
    expect(end - start).toBe(25 * 3600);
    const labels = hourMarks("2026-10-25").map((m) => m.label);
    expect(labels).toHaveLength(25);
    expect(labels.slice(0, 5)).toEqual(["00", "01", "02", "02", "03"]);
  });
  test("a spring-forward day has 23 hours, no 02", () => {
    const labels = hourMarks("2026-03-29").map((m) => m.label);
    expect(labels).toHaveLength(23);
    expect(labels).not.toContain("02");
  });
  test("days start at local midnight", () => {
    const { start } = dayBounds("2026-07-01");
    expect(new Date(start * 1000).toISOString()).toBe("2026-06-30T22:00:00.000Z");
    expect(localDay(start)).toBe("2026-07-01");
    expect(localDay(start - 1)).toBe("2026-06-30");
  });
  test("positions across the day and merged spans", () => {
    const day = dayBounds("2026-07-01");
    expect(fraction(day, day.start + 43_200)).toBe(0.5);
    expect(fraction(day, day.start - 5)).toBe(0);
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
