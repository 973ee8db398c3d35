import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { openDb, type Db } from "../src/db/open.ts";
import { recordings } from "../src/db/schema.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { storagePath, tempPathFor } from "../src/storage/layout.ts";
import { reconcileStorage } from "../src/storage/reconcile.ts";
import { VOLUME_MARKER } from "../src/storage/volume.ts";
import { storedSegment, tempDir } from "./helpers.ts";

const media = ffmpegEngine();
const dbs: Db[] = [];
afterEach(() => { for (const db of dbs.splice(0)) db.$client.close(); });

function setup() {
  const dir = tempDir();
  const root = join(dir, "recordings");
  const db = openDb(join(dir, "camkeep.db"));
  dbs.push(db);
  return { dir, root, db };
}

const stored = (db: Db, root: string, camera: string, start: number, withRow = true) => storedSegment(db, root, camera, start, { row: withRow, copy: true });
const rows = (db: Db) => db.select().from(recordings).orderBy(recordings.start_time).all();

describe("start-up reconcile (SPEC 8)", () => {
  test("first use claims the storage folder with a marker", async () => {
    const { root, db } = setup();
    expect((await reconcileStorage(db, media, root)).ok).toBe(true);
    expect(readFileSync(join(root, VOLUME_MARKER), "utf8")).toContain("camkeep storage volume");
  });

  test("temporary files go, complete files without rows are indexed, truncated ones removed, rows without files removed", async () => {
    const { root, db } = setup();
    await reconcileStorage(db, media, root);
    const T = 1_790_000_000;
    const kept = await stored(db, root, "cam", T);
    await stored(db, root, "cam", T + 2);
    await stored(db, root, "cam", T + 4);
    await stored(db, root, "cam-2", T + 6);
    const orphan = await stored(db, root, "cam", T + 8, false);
    const truncated = storagePath(root, "cam", T + 10);
    writeFileSync(truncated, readFileSync(orphan).subarray(0, 3000)); // killed mid-write, pre-SPEC-8 style
    const temp = tempPathFor(storagePath(root, "cam", T + 12));
    writeFileSync(temp, "partial");
    unlinkSync(storagePath(root, "cam", T + 2)); // a row whose file is gone
    rmSync(dirname(storagePath(root, "cam-2", T + 6)), { recursive: true }); // a whole folder gone

    const report = await reconcileStorage(db, media, root);
    expect(report).toEqual({ ok: true, tempRemoved: 1, indexed: 1, unreadableRemoved: 1, rowsRemoved: 2 });
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(truncated)).toBe(false);
    const after = rows(db);
    expect(after.map((r) => r.start_time)).toEqual([T, T + 4, T + 8]);
    expect(after[0]!.path).toBe(kept);
    expect(after[2]).toMatchObject({ path: orphan, camera: "cam", unjudged: true });
    expect(after[2]!.duration).toBeCloseTo(2, 1);
  });

  test("a replaced (empty) database is rebuilt from storage, nothing deleted", async () => {
    const { dir, root, db } = setup();
    await reconcileStorage(db, media, root);
    for (let i = 0; i < 3; i++) await stored(db, root, "cam", 1_790_000_000 + i * 2);
    db.$client.close();
    dbs.splice(0);
    rmSync(join(dir, "camkeep.db"));
    const fresh = openDb(join(dir, "camkeep.db"));
    dbs.push(fresh);
    const report = await reconcileStorage(fresh, media, root);
    expect(report).toMatchObject({ ok: true, indexed: 3, rowsRemoved: 0, unreadableRemoved: 0 });
    expect(rows(fresh).map((r) => r.unjudged)).toEqual([true, true, true]);
  });

  test("storage without its marker while rows exist (unmounted disk) is left untouched", async () => {
    const { root, db } = setup();
    await reconcileStorage(db, media, root);
    await stored(db, root, "cam", 1_790_000_000);
    rmSync(root, { recursive: true }); // the disk is not mounted: an empty mount point
    mkdirSync(root);
    const report = await reconcileStorage(db, media, root);
    expect(report.ok).toBe(false);
    expect(report.reason).toContain("mounted");
    expect(rows(db)).toHaveLength(1);
    expect(existsSync(join(root, VOLUME_MARKER))).toBe(false); // and nothing written into the mount point
  });

  test("when most rows lack files, nothing changes", async () => {
    const { root, db } = setup();
    await reconcileStorage(db, media, root);
    const paths = [];
    for (let i = 0; i < 4; i++) paths.push(await stored(db, root, "cam", 1_790_000_000 + i * 2));
    for (const p of paths.slice(0, 3)) unlinkSync(p);
    const report = await reconcileStorage(db, media, root);
    expect(report.ok).toBe(false);
    expect(report.reason).toContain("3 of 4");
    expect(rows(db)).toHaveLength(4);
  });
});
