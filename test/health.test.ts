import { describe, expect, test } from "bun:test";
import { healthReasons, type HealthInputs } from "../src/health/health.ts";

const OK: HealthInputs = {
  nowMs: 1_000_000,
  startedAtMs: 0,
  scanIntervalS: 5,
  lastPassEndMs: 999_000,
  databaseWritable: true,
  storagePresent: true,
  storageWritable: true,
  storageClaimed: true,
  reconciling: false,
  freeBytes: 10e9,
  minFreeBytes: 1e9,
  clock: { sane: true },
  stalledCameras: 0,
  tiers: [],
  storingHalted: null,
  damagedFootage: 0,
};

describe("health reasons (docs/api.md)", () => {
  test("all well: no reasons", () => {
    expect(healthReasons(OK)).toEqual([]);
  });
  test("storing stopped because only footage kept forever is left", () => {
    expect(healthReasons({ ...OK, storingHalted: "only footage kept forever is left" })).toEqual([
      "storing stopped: only footage kept forever is left",
    ]);
  });
  test("a maintainer pass later than 3 scan intervals", () => {
    expect(healthReasons({ ...OK, lastPassEndMs: 1_000_000 - 15_000 })).toEqual([]);
    expect(healthReasons({ ...OK, lastPassEndMs: 1_000_000 - 15_001 })).toEqual([
      "maintainer pass late: none finished for 15 s",
    ]);
    expect(healthReasons({ ...OK, lastPassEndMs: undefined, startedAtMs: 1_000_000 - 60_000 })[0]).toContain(
      "maintainer pass late",
    );
  });
  test("while start-up reconcile runs, health says so instead of a late pass", () => {
    expect(healthReasons({ ...OK, reconciling: true, lastPassEndMs: undefined, startedAtMs: 0 })).toEqual([
      "starting: comparing storage with the index",
    ]);
  });
  test("each failing check names itself", () => {
    expect(healthReasons({ ...OK, databaseWritable: false })).toEqual(["database not writable"]);
    expect(healthReasons({ ...OK, storagePresent: false })).toEqual(["storage missing"]);
    expect(healthReasons({ ...OK, storageClaimed: false })).toEqual([
      "storage not mounted: its volume marker is missing",
    ]);
    expect(healthReasons({ ...OK, storageWritable: false })).toEqual(["storage not writable"]);
    expect(healthReasons({ ...OK, reconcileProblem: "3 of 4 …" })).toEqual([
      "storage does not match the index: start-up reconcile changed nothing",
    ]);
    expect(healthReasons({ ...OK, freeBytes: 5e8 })).toEqual([
      "disk almost full: free space below storage.min_free",
    ]);
    expect(healthReasons({ ...OK, clock: { sane: false, reason: "clock not sane: x" } })).toEqual([
      "clock not sane: x",
    ]);
    expect(healthReasons({ ...OK, stalledCameras: 2 })).toEqual([
      "2 camera(s) stalled: no new segment from the recorder",
    ]);
  });
  test("a failing tier counts only when footage waits for it, it has failed for 5 minutes, and storage is nearly full", () => {
    const down = { failingForS: 300, backlog: true };
    const nearlyFull = { freeBytes: 1.9e9 }; // under twice min_free
    expect(healthReasons({ ...OK, ...nearlyFull, tiers: [down] })).toEqual([
      "1 storage tier(s) failing while storage is nearly full: footage waiting for them may be deleted",
    ]);
    expect(healthReasons({ ...OK, tiers: [down] })).toEqual([]); // room left: status only
    expect(healthReasons({ ...OK, ...nearlyFull, tiers: [{ ...down, failingForS: 299 }] })).toEqual([]);
    expect(healthReasons({ ...OK, ...nearlyFull, tiers: [{ ...down, backlog: false }] })).toEqual([]);
    expect(healthReasons({ ...OK, ...nearlyFull, tiers: [{ failingForS: null, backlog: true }] })).toEqual(
      [],
    );
  });
  test("reasons name no path and no camera", () => {
    const all = healthReasons({
      ...OK,
      databaseWritable: false,
      storageWritable: false,
      reconcileProblem: "/mnt/nvr/x: 3 of 4",
      freeBytes: 0,
      stalledCameras: 1,
      clock: { sane: false },
    });
    expect(all.join(" ")).not.toContain("/");
  });
});
