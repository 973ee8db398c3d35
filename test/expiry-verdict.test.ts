import { describe, expect, test } from "bun:test";
import { parseConfig, type CameraRecord } from "../src/config/load.ts";
import {
  cameraPolicy,
  eventExpired,
  expireVerdict,
  removedCameraPolicy,
  type ExpiryRow,
} from "../src/cleanup/expiry-verdict.ts";
import type { HoldingEvent } from "../src/db/events.ts";
import { pickForSpace } from "../src/cleanup/disk.ts";
import { ClockWatch } from "../src/time/clock.ts";

const NOW = 1_790_000_000;
const DAY = 86_400;
function cam(record: object): CameraRecord {
  return parseConfig(`record: ${JSON.stringify(record)}\ncameras: {c: {}}`, "/x.yml").cameras.c!.record;
}
const row = (start: number, over: Partial<ExpiryRow> = {}): ExpiryRow => ({
  start_time: start,
  end_time: start + 10,
  motion: 0,
  objects: 0,
  unjudged: false,
  ...over,
});
const ev = (start_time: number, end_time: number | null, over: Partial<HoldingEvent> = {}): HoldingEvent => ({
  start_time,
  end_time,
  has_clip: true,
  retain_indefinitely: false,
  label: "person",
  severity: null,
  zones: [],
  ...over,
});

describe("recording expiry (docs/retention.md)", () => {
  const policy = cameraPolicy(
    cam({ retain: { days: 7 }, events: { pre_capture: 5, post_capture: 5, retain: { mode: "motion" } } }),
    NOW,
  );
  const old = NOW - 8 * DAY;

  test("inside retain.days: kept", () => {
    expect(expireVerdict(row(NOW - 6 * DAY), [], policy)).toBeNull();
  });
  test("ending exactly at the cutoff: kept; just before: deleted", () => {
    expect(expireVerdict(row(NOW - 7 * DAY - 10), [], policy)).toBeNull();
    expect(expireVerdict(row(NOW - 7 * DAY - 10.5), [], policy)).toBe("retention");
  });
  test("older and held by no event: deleted by retention", () => {
    expect(expireVerdict(row(old), [], policy)).toBe("retention");
  });
  test("an event holds it with the same padding as storing (pre before, post after)", () => {
    const withMotion = row(old, { motion: 5 });
    expect(expireVerdict(withMotion, [ev(old + 15, old + 20)], policy)).toBeNull(); // starts pre_capture after it ends
    expect(expireVerdict(withMotion, [ev(old + 15.1, old + 20)], policy)).toBe("retention");
    expect(expireVerdict(withMotion, [ev(old - 20, old - 5)], policy)).toBeNull(); // ended post_capture before it starts
    expect(expireVerdict(withMotion, [ev(old - 20, old - 5.1)], policy)).toBe("retention");
    expect(expireVerdict(withMotion, [ev(old - 3 * DAY, null)], policy)).toBeNull(); // in progress
    expect(expireVerdict(withMotion, [ev(old, old + 5, { has_clip: false })], policy)).toBe("retention");
  });
  test("held by an event but rejected by events.retain.mode: deleted", () => {
    expect(expireVerdict(row(old, { motion: 0, objects: 3 }), [ev(old, old + 5)], policy)).toBe("event_mode");
    const objects = cameraPolicy(
      cam({ retain: { days: 7 }, events: { retain: { mode: "active_objects" } } }),
      NOW,
    );
    expect(expireVerdict(row(old, { motion: 9, objects: 0 }), [ev(old, old + 5)], objects)).toBe(
      "event_mode",
    );
    expect(expireVerdict(row(old, { objects: 1 }), [ev(old, old + 5)], objects)).toBeNull();
  });
  test("an unjudged recording counts as having motion and objects", () => {
    expect(expireVerdict(row(old, { unjudged: true }), [ev(old, old + 5)], policy)).toBeNull();
  });
  test("an event retained indefinitely keeps all it holds, whatever the mode", () => {
    expect(expireVerdict(row(old), [ev(old, old + 5, { retain_indefinitely: true })], policy)).toBeNull();
  });
  test("removed cameras: the global days, and only indefinite events hold", () => {
    const removed = removedCameraPolicy(cam({ retain: { days: 3 } }), NOW);
    expect(expireVerdict(row(NOW - 2 * DAY), [], removed)).toBeNull();
    expect(expireVerdict(row(NOW - 4 * DAY), [ev(NOW - 4 * DAY, NOW - 4 * DAY + 5)], removed)).toBe(
      "removed_camera",
    );
    expect(
      expireVerdict(
        row(NOW - 4 * DAY),
        [ev(NOW - 4 * DAY, NOW - 4 * DAY + 5, { retain_indefinitely: true })],
        removed,
      ),
    ).toBeNull();
  });
});

describe("event retention (docs/retention.md)", () => {
  const rules = cam({ events: { retain: { default: 10, objects: { person: 30 } } } }).events;
  const e = (
    label: string,
    endedDaysAgo: number | null,
    indefinitely = false,
    severity: "alert" | "detection" | null = null,
  ) => ({
    label,
    severity,
    end_time: endedDaysAgo === null ? null : NOW - endedDaysAgo * DAY,
    retain_indefinitely: indefinitely,
  });
  test("by label, else the default", () => {
    expect(eventExpired(e("car", 11), rules, NOW)).toBe(true);
    expect(eventExpired(e("car", 9), rules, NOW)).toBe(false);
    expect(eventExpired(e("person", 11), rules, NOW)).toBe(false);
    expect(eventExpired(e("person", 31), rules, NOW)).toBe(true);
  });
  test("never while in progress or retained indefinitely", () => {
    expect(eventExpired(e("car", null), rules, NOW)).toBe(false);
    expect(eventExpired(e("car", 400, true), rules, NOW)).toBe(false);
  });
  test("0.15+ shape: by severity (alerts 30 days, detections 3); no severity counts as an alert", () => {
    const review = cam({ alerts: { retain: { days: 30 } }, detections: { retain: { days: 3 } } }).events;
    expect(eventExpired(e("person", 10, false, "alert"), review, NOW)).toBe(false);
    expect(eventExpired(e("person", 10, false, null), review, NOW)).toBe(false);
    expect(eventExpired(e("person", 10, false, "detection"), review, NOW)).toBe(true);
  });
});

describe("the reference's 0.15+ record shape (docs/configuration.md), its documented examples", () => {
  // "Continuous 24/7 for 3 days, motion for 7, alerts and detections for 30" (continuous, motion, alerts, detections).
  const policy = cameraPolicy(
    cam({
      continuous: { days: 3 },
      motion: { days: 7 },
      alerts: { retain: { days: 30, mode: "motion" } },
      detections: { retain: { days: 30, mode: "motion" } },
    }),
    NOW,
  );
  test("inside continuous days: everything kept", () => {
    expect(expireVerdict(row(NOW - 2 * DAY), [], policy)).toBeNull();
  });
  test("between continuous and motion days: kept only with motion", () => {
    expect(expireVerdict(row(NOW - 5 * DAY), [], policy)).toBe("retention");
    expect(expireVerdict(row(NOW - 5 * DAY, { motion: 4 }), [], policy)).toBeNull();
  });
  test("beyond motion days: only around alerts and detections, with motion", () => {
    const old = NOW - 20 * DAY;
    expect(expireVerdict(row(old, { motion: 4 }), [], policy)).toBe("retention");
    expect(
      expireVerdict(row(old, { motion: 4 }), [ev(old, old + 5, { severity: "detection" })], policy),
    ).toBeNull();
    expect(expireVerdict(row(old), [ev(old, old + 5, { severity: "alert" })], policy)).toBe("event_mode");
  });
  test("each severity with its own padding: an alert's pre_capture of 20 s holds what a detection's 5 s does not", () => {
    const pad = cameraPolicy(
      cam({
        alerts: { pre_capture: 20, retain: { days: 30, mode: "all" } },
        detections: { pre_capture: 5, retain: { days: 30, mode: "all" } },
      }),
      NOW,
    );
    const old = NOW - 20 * DAY; // ends at old + 10
    expect(expireVerdict(row(old), [ev(old + 25, old + 30, { severity: "alert" })], pad)).toBeNull();
    expect(expireVerdict(row(old), [ev(old + 25, old + 30, { severity: "detection" })], pad)).toBe(
      "retention",
    );
  });
  test("only recordings older than the continuous days need reading", () => {
    expect(policy.scanBefore).toBe(NOW - 3 * DAY);
  });
});

describe("the reference's 0.12 event filters (docs/configuration.md)", () => {
  const policy = cameraPolicy(
    cam({
      retain: { days: 0 },
      events: { objects: ["person"], required_zones: ["yard"], retain: { default: 10, mode: "all" } },
    }),
    NOW,
  );
  const old = NOW - 2 * DAY;
  test("record.events.objects: only those labels keep footage", () => {
    expect(
      expireVerdict(row(old), [ev(old, old + 5, { label: "person", zones: ["yard"] })], policy),
    ).toBeNull();
    expect(expireVerdict(row(old), [ev(old, old + 5, { label: "car", zones: ["yard"] })], policy)).toBe(
      "retention",
    );
  });
  test("record.events.required_zones: only once the object entered one of them", () => {
    expect(expireVerdict(row(old), [ev(old, old + 5, { zones: ["street"] })], policy)).toBe("retention");
    expect(expireVerdict(row(old), [ev(old, old + 5, { zones: [] })], policy)).toBe("retention");
  });
});

describe("disk protection choice (docs/retention.md)", () => {
  const rows = [1, 2, 3, 4, 5].map((i) => ({ id: i, segment_size: 100 }));
  test("oldest first until the need is covered", () => {
    expect(pickForSpace(rows, 250, () => false).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(pickForSpace(rows, 0, () => false)).toEqual([]);
  });
  test("protected rows are skipped", () => {
    expect(pickForSpace(rows, 250, (r) => r.id <= 2).map((r) => r.id)).toEqual([3, 4, 5]);
  });
});

describe("clock sanity", () => {
  test("a wall clock before 2024 or earlier than stored footage is not sane", () => {
    expect(new ClockWatch().check(1_000_000, 0, undefined).sane).toBe(false);
    expect(new ClockWatch().check(NOW, 0, NOW + 3600).sane).toBe(false);
    expect(new ClockWatch().check(NOW, 0, NOW + 30).sane).toBe(true);
  });
  test("a step of more than 60 s against the monotonic clock makes it suspect for 5 minutes", () => {
    const w = new ClockWatch();
    expect(w.check(NOW, 100, undefined).sane).toBe(true);
    expect(w.check(NOW + 60, 160, undefined).sane).toBe(true);
    expect(w.check(NOW + 3600, 220, undefined)).toEqual({
      sane: false,
      reason: "clock not sane: it stepped by more than 60 s recently",
    });
    expect(w.check(NOW + 3600 + 200, 420, undefined).sane).toBe(false);
    expect(w.check(NOW + 3600 + 400, 620, undefined).sane).toBe(true);
  });
  test("a step backwards counts too", () => {
    const w = new ClockWatch();
    w.check(NOW, 100, undefined);
    expect(w.check(NOW - 120, 110, undefined).sane).toBe(false);
  });
});
