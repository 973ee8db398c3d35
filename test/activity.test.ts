import { describe, expect, test } from "bun:test";
import { boxArea } from "../src/domain/geometry.ts";
import { ActivityStore, framesToDrop, segmentStats, summarizeFrame } from "../src/keeper/activity.ts";

const f = (t: number) => ({ t, motion: 1, objects: 0 });

describe("activity (docs/retention.md)", () => {
  test("a frame reduces to motion area and active objects", () => {
    const s = summarizeFrame({
      frame_time: 5,
      motion_boxes: [
        [0, 0, 9, 9],
        [10, 10, 10, 14],
      ],
      objects: [
        { label: "person", false_positive: false, motionless_count: 0 },
        { label: "person", false_positive: true, motionless_count: 0 },
        { label: "car", false_positive: false, motionless_count: 12 },
      ],
    });
    expect(s).toEqual({ t: 5, motion: 100 + 5, objects: 1 });
    expect(boxArea([5, 5, 2, 2])).toBe(0);
  });
  test("segment stats sum frames inside the span", () => {
    expect(segmentStats([f(1), f(2), f(3), f(4)], 2, 3)).toEqual({ motion: 2, objects: 0, frames: 2 });
    expect(segmentStats([], 2, 3)).toEqual({ motion: 0, objects: 0, frames: 0 });
  });
  test("frames older than the oldest cache segment go; with no segments, recent ones stay", () => {
    const limits = { maxAge: 100, maxFrames: 10 };
    expect(framesToDrop([f(1), f(2), f(3)], 2.5, 50, limits)).toBe(2);
    expect(framesToDrop([f(41), f(42), f(43)], undefined, 50, limits)).toBe(0);
  });
  test("age and count bound the buffer whatever the cache holds", () => {
    expect(framesToDrop([f(1), f(2), f(300)], 0, 350, { maxAge: 100, maxFrames: 10 })).toBe(2);
    expect(framesToDrop([f(1), f(2), f(3), f(4)], 0, 5, { maxAge: 100, maxFrames: 3 })).toBe(1);
  });
  test("the store keeps frames sorted when they arrive out of order, and tracks the newest", () => {
    const store = new ActivityStore();
    store.report("cam", [
      { frame_time: 10, objects: [], motion_boxes: [] },
      { frame_time: 30, objects: [], motion_boxes: [] },
    ]);
    store.report("cam", [{ frame_time: 20, objects: [], motion_boxes: [] }]);
    expect(store.frames("cam")).toEqual([]); // queued until the maintainer drains
    store.drain();
    expect(store.frames("cam").map((x) => x.t)).toEqual([10, 20, 30]);
    expect(store.newestFrameTime("cam")).toBe(30);
    store.prune("cam", 15, 40);
    expect(store.frames("cam").map((x) => x.t)).toEqual([20, 30]);
  });
  test("the queue refuses reports beyond its bound instead of growing", () => {
    const store = new ActivityStore({ maxAge: 100, maxFrames: 2 });
    const frames = Array.from({ length: 8 }, (_, i) => ({ frame_time: i, objects: [], motion_boxes: [] }));
    expect(store.report("cam", frames)).toBe(true);
    expect(store.report("cam", frames.slice(0, 1))).toBe(false);
  });
});

import { cacheOverflowDrops, cacheReserve } from "../src/keeper/cache-volume.ts";

describe("cache volume about to fill (docs/retention.md)", () => {
  const segs = [3, 1, 2].map((start) => ({ start, size: 100 }));
  test("enough room: nothing dropped", () => {
    expect(cacheOverflowDrops(segs, 500, 500)).toEqual([]);
  });
  test("short of room: the oldest go first, only as many as needed", () => {
    expect(cacheOverflowDrops(segs, 350, 500).map((s) => s.start)).toEqual([1, 2]);
  });
  test("the reserve is two segments per camera, of the largest size seen (at least 1 MiB)", () => {
    expect(cacheReserve(5e6, 3)).toBe(3e7);
    expect(cacheReserve(10, 1)).toBe(2 * 2 ** 20);
  });
});
