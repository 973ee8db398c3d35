import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { runExpiry } from "../src/cleanup/expire.ts";
import {
  deleteCameraRuns,
  deleteRecordings,
  deleteRecordingsByRowid,
  insertRecordings,
  oldestRecordingsPage,
} from "../src/db/recordings.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { newId } from "../src/domain/id.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { reconcileStorage } from "../src/storage/reconcile.ts";
import { storagePath } from "../src/storage/layout.ts";
import { configIn, rollupsAndTruth, storedSegment, tempDir } from "./helpers.ts";

/** The quarter-hour rollups stay exact through every way rows come and go. */
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.$client.close(true);
});

/** A small deterministic random sequence. */
function random(seed: number) {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe("rollups (issue 18)", () => {
  test("random inserts and deletes of every kind leave them equal to a full aggregation", () => {
    const dir = tempDir();
    const db = openDb(join(dir, "c.db"));
    dbs.push(db);
    const rnd = random(7);
    const T = 1_790_000_000;
    const used = new Set<string>();
    for (let round = 0; round < 30; round++) {
      const rows = [];
      for (let i = 0; i < 40; i++) {
        const camera = `cam${Math.floor(rnd() * 3)}`;
        const start = T + Math.floor(rnd() * 20_000);
        const path = storagePath("/r", camera, start);
        if (used.has(path)) continue;
        used.add(path);
        rows.push({
          id: newId(start),
          camera,
          path,
          start_time: start,
          end_time: start + 10,
          duration: 9.5 + rnd(),
          motion: Math.floor(rnd() * 3) * 7,
          objects: Math.floor(rnd() * 2),
          segment_size: 1000 + Math.floor(rnd() * 9000),
          unjudged: false,
        });
      }
      insertRecordings(db, rows);
      const all = oldestRecordingsPage(db, { start: -Infinity, id: "" }, 100_000);
      const pick = () => all.filter(() => rnd() < 0.1);
      const byId = pick(),
        byRowid = pick().filter((r) => !byId.includes(r));
      deleteRecordings(
        db,
        byId.map((r) => r.id),
      );
      deleteRecordingsByRowid(db, byRowid);
      const left = oldestRecordingsPage(db, { start: -Infinity, id: "" }, 100_000)
        .filter((r) => r.camera === "cam0")
        .sort((a, b) => a.start_time - b.start_time);
      deleteCameraRuns(db, "cam0", left, new Set(left.filter(() => rnd() < 0.2)));
      for (const r of [...byId, ...byRowid]) used.delete(r.path);
      const { rollups, truth } = rollupsAndTruth(db);
      expect(rollups).toEqual(truth);
    }
  });

  test("expiry and start-up reconcile keep them exact", async () => {
    const dir = tempDir();
    const config = configIn(dir, "record: { retain: { days: 7 } }\ncameras:\n  cam: {}\n");
    const db = openDb(config.database);
    dbs.push(db);
    await reconcileStorage(db, ffmpegEngine(), config.recordingsDir);
    const now = Math.floor(Date.now() / 1000);
    const paths = [];
    for (let i = 0; i < 12; i++)
      paths.push(
        await storedSegment(db, config.recordingsDir, "cam", now - (i < 6 ? 10 : 1) * 86_400 + i * 300, {
          copy: true,
        }),
      );
    await storedSegment(db, config.recordingsDir, "cam", now - 3600, { row: false, copy: true }); // a file without its row
    unlinkSync(paths[11]!); // a row without its file
    expect((await reconcileStorage(db, ffmpegEngine(), config.recordingsDir)).ok).toBe(true);
    let { rollups, truth } = rollupsAndTruth(db);
    expect(rollups).toEqual(truth);
    await runExpiry({ config, db, now });
    ({ rollups, truth } = rollupsAndTruth(db));
    expect(rollups).toEqual(truth);
    expect((truth as { segments: number }[]).reduce((n, b) => n + b.segments, 0)).toBe(6); // 6 expired, one re-indexed, one row removed
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("local hours from quarter-hour buckets", () => {
  test("the per-day offset lookup agrees with asking Intl for every bucket, across DST switches and odd offsets", async () => {
    const { offsetAt, offsetLookup } = await import("../src/time/zone.ts");
    for (const zone of ["Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]) {
      const lookup = offsetLookup(zone);
      // 2026: Europe switches on 29 March and 25 October; Lord Howe by half an hour in April and October.
      for (const start of [
        Date.UTC(2026, 2, 27),
        Date.UTC(2026, 3, 3),
        Date.UTC(2026, 9, 23),
        Date.UTC(2026, 10, 30),
      ]) {
        for (let t = start; t < start + 4 * 86_400_000; t += 900_000)
          expect(lookup(t)).toBe(offsetAt(t, zone));
      }
    }
  });
});
