import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dayBounds, fraction, hourMarks, localDay, spans } from "../src/ui/time.ts";

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
    expect(spans([{ start_time: 0, end_time: 10 }, { start_time: 10.5, end_time: 20 }, { start_time: 40, end_time: 50 }])).toEqual([{ start: 0, end: 20 }, { start: 40, end: 50 }]);
  });
});
