import { describe, expect, test } from "bun:test";
import { parseSegmentName, segmentStartMs } from "../src/keeper/segment-name.ts";
import { parseStoragePath, storagePath } from "../src/storage/layout.ts";

const seg = (name: string) => {
  const p = parseSegmentName(name);
  if (p.kind !== "segment") throw new Error(`${name}: ${JSON.stringify(p)}`);
  return p;
};
const iso = (ms: number) => new Date(ms).toISOString();

describe("cache names (docs/recorders.md)", () => {
  test("the camera is everything before the last '-'", () => {
    expect(seg("front-door-2-20261126001500.mp4").camera).toBe("front-door-2");
    expect(seg("back_yard-20261126001500.mp4").camera).toBe("back_yard");
  });
  test("clip_ files are export clips, not segments", () => {
    expect(parseSegmentName("clip_front-20261126001500.mp4").kind).toBe("clip");
  });
  test.each([
    ["notes.txt"],
    ["front-20261126001500.mkv"],
    ["front-2026112600150.mp4"],
    ["-20261126001500.mp4"],
    ["fr ont-20261126001500.mp4"],
    ["front-20261345001500.mp4"],
    ["front-20260230001500.mp4"],
    ["front-20261126250000.mp4"],
    ["../x-20261126001500.mp4"],
    ["front@20261126001500+1500.mp4"],
  ])("%s is not a segment", (name) => {
    expect(parseSegmentName(name).kind).toBe("invalid");
  });
  test("UTC names read as UTC", () => {
    expect(iso(segmentStartMs(seg("cam-20261126001502.mp4"), "UTC"))).toBe("2026-11-26T00:15:02.000Z");
  });
  test("a name with its own offset wins over cache_timezone", () => {
    expect(iso(segmentStartMs(seg("cam@20261126011502+0100.mp4"), "Asia/Tokyo"))).toBe(
      "2026-11-26T00:15:02.000Z",
    );
    expect(iso(segmentStartMs(seg("my-cam@20261125201502-0400.mp4"), "UTC"))).toBe(
      "2026-11-26T00:15:02.000Z",
    );
  });
});

describe("local-time names", () => {
  test("a local name converts to UTC in that zone", () => {
    expect(iso(segmentStartMs(seg("cam-20260701120000.mp4"), "Europe/Berlin"))).toBe(
      "2026-07-01T10:00:00.000Z",
    );
  });
  test("a repeated hour at DST fall-back resolves by the file's mtime", () => {
    const name = seg("cam-20261025023000.mp4"); // Berlin: 02:30 happens at 00:30Z and 01:30Z
    expect(iso(segmentStartMs(name, "Europe/Berlin", { mtimeMs: Date.parse("2026-10-25T00:30:10Z") }))).toBe(
      "2026-10-25T00:30:00.000Z",
    );
    expect(iso(segmentStartMs(name, "Europe/Berlin", { mtimeMs: Date.parse("2026-10-25T01:30:10Z") }))).toBe(
      "2026-10-25T01:30:00.000Z",
    );
  });
  test("without a usable mtime, the previous segment decides and nothing collides", () => {
    const name = seg("cam-20261025020000.mp4");
    const prev = Date.parse("2026-10-25T00:59:50Z"); // 02:59:50 CEST, the first pass through the hour
    expect(iso(segmentStartMs(name, "Europe/Berlin", { previousStartMs: prev }))).toBe(
      "2026-10-25T01:00:00.000Z",
    );
  });
  test("the two passes through the repeated hour map to two distinct storage paths", () => {
    const first = segmentStartMs(seg("cam-20261025021000.mp4"), "Europe/Berlin", {
      mtimeMs: Date.parse("2026-10-25T00:10:10Z"),
    });
    const second = segmentStartMs(seg("cam-20261025021000.mp4"), "Europe/Berlin", {
      mtimeMs: Date.parse("2026-10-25T01:10:10Z"),
    });
    expect(storagePath("/s", "cam", first / 1000)).toBe("/s/2026-10-25/00/cam/10.00.mp4");
    expect(storagePath("/s", "cam", second / 1000)).toBe("/s/2026-10-25/01/cam/10.00.mp4");
  });
  test("a skipped hour (spring forward) reads with the offset before the jump", () => {
    expect(iso(segmentStartMs(seg("cam-20260329023000.mp4"), "Europe/Berlin"))).toBe(
      "2026-03-29T01:30:00.000Z",
    );
  });
});

describe("storage layout (docs/storage.md)", () => {
  test("a half-hour zone stores the right UTC minutes and seconds", () => {
    const start = segmentStartMs(seg("gate-20260601120007.mp4"), "Asia/Kolkata") / 1000; // 06:30:07Z
    expect(storagePath("/rec", "gate", start)).toBe("/rec/2026-06-01/06/gate/30.07.mp4");
  });
  test("paths parse back to camera and start", () => {
    expect(parseStoragePath("/rec", "/rec/2026-06-01/06/front-door/30.07.mp4")).toEqual({
      camera: "front-door",
      start: Date.parse("2026-06-01T06:30:07Z") / 1000,
    });
    expect(parseStoragePath("/rec", "/rec/2026-06-01/06/front-door/.30.07.mp4.tmp")).toBeUndefined();
    expect(parseStoragePath("/rec", "/other/2026-06-01/06/cam/30.07.mp4")).toBeUndefined();
  });
});
