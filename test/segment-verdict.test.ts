import { describe, expect, test } from "bun:test";
import { parseConfig, type CameraRecord } from "../src/config/load.ts";
import type { ActivityFrame } from "../src/domain/activity.ts";
import {
  activityWatermark,
  decideSegment,
  type CacheSegment,
  type DecisionContext,
} from "../src/keeper/segment-verdict.ts";
import { eventCovers } from "../src/domain/event.ts";
import type { HoldingEvent } from "../src/db/events.ts";

/** A camera's effective settings from a global `record` block (JSON is YAML). */
function cam(record: object = {}): CameraRecord {
  return parseConfig(`record: ${JSON.stringify(record)}\ncameras: {c: {}}`, "/x.yml").cameras.c!.record;
}

const NOW = 1_790_000_000;
const seg = (start: number, duration: number | null = 10): CacheSegment => ({
  camera: "c",
  start,
  probe: duration === null ? { kind: "invalid", reason: "no moov" } : { kind: "ok", duration },
});
const ev = (
  start_time: number,
  end_time: number | null,
  has_clip = true,
  over: Partial<HoldingEvent> = {},
): HoldingEvent => ({
  start_time,
  end_time,
  has_clip,
  retain_indefinitely: false,
  label: "person",
  severity: null,
  zones: [],
  ...over,
});
const frames = (...list: [number, number, number][]): ActivityFrame[] =>
  list.map(([t, motion, objects]) => ({ t, motion, objects }));

function ctx(over: Partial<DecisionContext> = {}): DecisionContext {
  return {
    camera: cam({ retain: { days: 1 } }),
    events: [],
    activity: [],
    watermark: NOW,
    now: NOW,
    ...over,
  };
}

describe("camera rules (docs/retention.md)", () => {
  test("a segment of an unknown camera is dropped", () => {
    expect(decideSegment(seg(NOW - 100), ctx({ camera: undefined }))).toEqual({
      action: "drop",
      reason: "unknown_camera",
    });
  });
  test("a segment of a camera with recording disabled is dropped", () => {
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: cam({ enabled: false, retain: { days: 1 } }) })),
    ).toEqual({ action: "drop", reason: "disabled" });
  });
});

describe("corrupt segments (docs/retention.md)", () => {
  for (const duration of [null, 0, -1, 600, 601, Number.NaN]) {
    test(`duration ${duration} is corrupt`, () => {
      expect(decideSegment(seg(NOW - 1000, duration), ctx())).toEqual({ action: "drop", reason: "corrupt" });
    });
  }
  test("599.9 s is a valid duration", () => {
    expect(decideSegment(seg(NOW - 1000, 599.9), ctx()).action).toBe("store");
  });
});

describe("a probe that failed proves nothing (docs/design.md#crash-safety)", () => {
  test("a timed-out or unstartable probe is retried, never dropped as corrupt", () => {
    const failed: CacheSegment = {
      camera: "c",
      start: NOW - 1000,
      probe: { kind: "failed", reason: "ffprobe timed out after 15000 ms" },
    };
    expect(decideSegment(failed, ctx())).toEqual({
      action: "retry",
      reason: "ffprobe timed out after 15000 ms",
    });
    expect(decideSegment(failed, ctx({ stopping: true })).action).toBe("retry");
  });
  test("the camera rules still come first", () => {
    const failed: CacheSegment = {
      camera: "c",
      start: NOW - 1000,
      probe: { kind: "failed", reason: "not probed" },
    };
    expect(decideSegment(failed, ctx({ camera: undefined })).action).toBe("drop");
  });
});

describe("stopping (docs/design.md#crash-safety): nothing waits, nothing is lost", () => {
  test("a segment that would wait is stored unjudged, kept by 'shutdown'", () => {
    const s = seg(NOW - 20); // ends NOW-10; ready at NOW-5
    const c = cam({ retain: { days: 0 }, events: { retain: { mode: "motion" } } }); // nothing would keep it yet
    expect(decideSegment(s, ctx({ camera: c, watermark: NOW - 30 })).action).toBe("wait");
    expect(
      decideSegment(
        s,
        ctx({ camera: c, watermark: NOW - 30, activity: frames([NOW - 15, 9, 0]), stopping: true }),
      ),
    ).toEqual({
      action: "store",
      end: NOW - 10,
      duration: 10,
      motion: 9,
      objects: 0,
      unjudged: true,
      failSafe: true,
      keptBy: ["shutdown"],
    });
  });
  test("a segment that can be judged is judged as usual", () => {
    const c = cam({ retain: { days: 0 } });
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, stopping: true }))).toEqual({
      action: "drop",
      reason: "not_retained",
    });
  });
});

describe("waiting for activity and events (docs/retention.md)", () => {
  test("waits until the watermark passes end + pre_capture", () => {
    const s = seg(NOW - 20); // ends NOW-10; pre_capture 5 → NOW-5
    expect(decideSegment(s, ctx({ watermark: NOW - 6 }))).toEqual({ action: "wait", until: NOW - 5 });
    expect(decideSegment(s, ctx({ watermark: NOW - 5 })).action).toBe("store");
  });
  test("a camera without a feed uses now - max_latency", () => {
    expect(activityWatermark(undefined, NOW, 60)).toBe(NOW - 60);
  });
  test("a live feed moves the watermark ahead of the floor", () => {
    expect(activityWatermark(NOW - 3, NOW, 60)).toBe(NOW - 3);
  });
  test("a stalled detector cannot hold segments back forever", () => {
    expect(activityWatermark(NOW - 3600, NOW, 60)).toBe(NOW - 60);
  });
});

describe("continuous retention (docs/retention.md)", () => {
  test("kept inside retain.days with mode all", () => {
    const v = decideSegment(seg(NOW - 3600), ctx());
    expect(v).toMatchObject({ action: "store", keptBy: ["continuous"], end: NOW - 3590 });
  });
  test("dropped when it starts before retain.days", () => {
    expect(decideSegment(seg(NOW - 86_401), ctx())).toEqual({ action: "drop", reason: "not_retained" });
  });
  test("days 0 keeps no continuous footage", () => {
    expect(decideSegment(seg(NOW - 100), ctx({ camera: cam() }))).toEqual({
      action: "drop",
      reason: "not_retained",
    });
  });
  test("mode motion keeps a segment with motion and reports the sums", () => {
    const c = cam({ retain: { days: 1, mode: "motion" } });
    const v = decideSegment(
      seg(NOW - 100),
      ctx({ camera: c, activity: frames([NOW - 95, 50, 0], [NOW - 91, 25, 1]) }),
    );
    expect(v).toMatchObject({ action: "store", motion: 75, objects: 1, unjudged: false, failSafe: false });
  });
  test("mode motion drops a segment whose frames show no motion", () => {
    const c = cam({ retain: { days: 1, mode: "motion" } });
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 95, 0, 3]) })).action).toBe(
      "drop",
    );
  });
  test("mode active_objects needs active objects, not motion", () => {
    const c = cam({ retain: { days: 1, mode: "active_objects" } });
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 95, 500, 0]) })).action,
    ).toBe("drop");
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 95, 0, 1]) })).action).toBe(
      "store",
    );
  });
  test("only frames inside [start, end] count, bounds included", () => {
    const c = cam({ retain: { days: 1, mode: "motion" } });
    const outside = frames([NOW - 100.01, 9, 9], [NOW - 89.99, 9, 9]);
    expect(
      decideSegment(
        seg(NOW - 100),
        ctx({
          camera: c,
          activity: [...outside.slice(0, 1), { t: NOW - 95, motion: 0, objects: 0 }, ...outside.slice(1)],
        }),
      ).action,
    ).toBe("drop");
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 100, 1, 0]) })).action,
    ).toBe("store");
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 90, 1, 0]) })).action).toBe(
      "store",
    );
  });
});

describe("fail-safe when no activity was reported (docs/retention.md)", () => {
  test("a motion-mode segment with no frames is stored unjudged, not deleted", () => {
    const c = cam({ retain: { days: 1, mode: "motion" } });
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c }))).toMatchObject({
      action: "store",
      unjudged: true,
      failSafe: true,
      motion: 0,
    });
  });
  test("an event judged by active_objects with no frames is stored unjudged", () => {
    const c = cam({ events: { retain: { mode: "active_objects" } } });
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, events: [ev(NOW - 95, NOW - 92)] }))).toMatchObject(
      { action: "store", keptBy: ["event"], failSafe: true },
    );
  });
  test("kept by mode all, the fail-safe did not decide anything", () => {
    expect(decideSegment(seg(NOW - 100), ctx())).toMatchObject({ unjudged: true, failSafe: false });
  });
});

describe("events (docs/retention.md)", () => {
  const c = cam({ events: { pre_capture: 5, post_capture: 5, retain: { mode: "all" } } });
  const decide = (events: HoldingEvent[], over: Partial<DecisionContext> = {}) =>
    decideSegment(seg(NOW - 100), ctx({ camera: c, events, ...over }));

  test("an event inside the segment keeps it", () => {
    expect(decide([ev(NOW - 95, NOW - 93)])).toMatchObject({ action: "store", keptBy: ["event"] });
  });
  test("an event starting just after the segment ends keeps it (pre_capture)", () => {
    expect(decide([ev(NOW - 86, NOW - 80)]).action).toBe("store"); // segment ends NOW-90
    expect(decide([ev(NOW - 85, NOW - 80)]).action).toBe("store"); // exactly pre_capture
    expect(decide([ev(NOW - 84.9, NOW - 80)]).action).toBe("drop");
  });
  test("an event that ended just before the segment started keeps it (post_capture)", () => {
    expect(decide([ev(NOW - 120, NOW - 105)]).action).toBe("store"); // ended exactly post_capture before
    expect(decide([ev(NOW - 120, NOW - 105.1)]).action).toBe("drop");
  });
  test("an event in progress keeps every segment after its padded start", () => {
    expect(decide([ev(NOW - 5000, null)]).action).toBe("store");
    expect(decide([ev(NOW - 80, null)]).action).toBe("drop");
  });
  test("an event without a clip keeps nothing", () => {
    expect(decide([ev(NOW - 95, NOW - 93, false)]).action).toBe("drop");
  });
  test("events.retain.mode motion rejects an event segment without motion", () => {
    const m = cam({ events: { retain: { mode: "motion" } } });
    expect(
      decideSegment(
        seg(NOW - 100),
        ctx({ camera: m, events: [ev(NOW - 95, NOW - 93)], activity: frames([NOW - 94, 0, 2]) }),
      ).action,
    ).toBe("drop");
    expect(
      decideSegment(
        seg(NOW - 100),
        ctx({ camera: m, events: [ev(NOW - 95, NOW - 93)], activity: frames([NOW - 94, 10, 0]) }),
      ).action,
    ).toBe("store");
  });
  test("a segment its continuous mode rejects is still kept by an overlapping event", () => {
    const both = cam({ retain: { days: 1, mode: "active_objects" }, events: { retain: { mode: "motion" } } });
    const v = decideSegment(
      seg(NOW - 100),
      ctx({ camera: both, events: [ev(NOW - 95, NOW - 93)], activity: frames([NOW - 94, 10, 0]) }),
    );
    expect(v).toMatchObject({ action: "store", keptBy: ["event"] });
  });
  test("kept by both rules says so", () => {
    const both = cam({ retain: { days: 1 }, events: { retain: { mode: "all" } } });
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: both, events: [ev(NOW - 95, NOW - 93)] })),
    ).toMatchObject({ keptBy: ["continuous", "event"] });
  });
  test("eventCovers is symmetric in its padding", () => {
    expect(eventCovers(ev(20, 30), 0, 10, { pre_capture: 10, post_capture: 0 })).toBe(true);
    expect(eventCovers(ev(-20, -10), 0, 10, { pre_capture: 0, post_capture: 10 })).toBe(true);
    expect(eventCovers(ev(-20, -10), 0, 10, { pre_capture: 0, post_capture: 9.99 })).toBe(false);
  });
});

describe("no activity yet, outside retention (the reference raised an error here that ended the pass)", () => {
  test("decides (drop) instead of failing, for any camera", () => {
    const c = cam({ retain: { days: 0 }, events: { retain: { mode: "motion" } } });
    expect(() => decideSegment(seg(NOW - 100), ctx({ camera: c, activity: [] }))).not.toThrow();
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, activity: [] }))).toEqual({
      action: "drop",
      reason: "not_retained",
    });
  });
});

describe("the reference's 0.15+ shape when storing (docs/configuration.md)", () => {
  const c = cam({
    continuous: { days: 0 },
    motion: { days: 2 },
    alerts: { pre_capture: 30, retain: { days: 30, mode: "all" } },
    detections: { pre_capture: 5, retain: { days: 30, mode: "motion" } },
  });
  test("motion days keep what moved, and only that", () => {
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 95, 40, 0]) })),
    ).toMatchObject({ action: "store", keptBy: ["continuous"] });
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, activity: frames([NOW - 95, 0, 0]) }))).toEqual({
      action: "drop",
      reason: "not_retained",
    });
  });
  test("alerts and detections each with their own padding and mode", () => {
    const quiet = frames([NOW - 95, 0, 0]);
    const later = (severity: "alert" | "detection" | null) => [ev(NOW - 70, NOW - 60, true, { severity })]; // starts 20 s after the segment ends
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: c, activity: quiet, events: later("alert") })).action,
    ).toBe("store"); // alert pre_capture 30 s
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: c, activity: quiet, events: later(null) })).action,
    ).toBe("store"); // no severity: an alert
    expect(
      decideSegment(seg(NOW - 100), ctx({ camera: c, activity: quiet, events: later("detection") })).action,
    ).toBe("drop"); // 5 s only
  });
  test("the wait covers the widest pre_capture", () => {
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, watermark: NOW - 61 }))).toEqual({
      action: "wait",
      until: NOW - 60,
    });
  });
});

describe("the reference's 0.12 event filters when storing (docs/configuration.md)", () => {
  const c = cam({ events: { objects: ["person"], required_zones: ["yard"], retain: { mode: "all" } } });
  test("an event keeps footage only with a listed label, once it entered a required zone", () => {
    const e = (label: string, zones: string[]) => [ev(NOW - 95, NOW - 93, true, { label, zones })];
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, events: e("person", ["yard"]) })).action).toBe(
      "store",
    );
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, events: e("car", ["yard"]) })).action).toBe("drop");
    expect(decideSegment(seg(NOW - 100), ctx({ camera: c, events: e("person", ["street"]) })).action).toBe(
      "drop",
    );
  });
});
