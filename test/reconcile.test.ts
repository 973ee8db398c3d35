import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { openDb, type Db } from "../src/db/open.ts";
import { recordings } from "../src/db/schema.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { storagePath, tempPathFor } from "../src/storage/layout.ts";
import { reconcileStorage } from "../src/storage/reconcile.ts";
import { boundStorageId, markerId, VOLUME_MARKER } from "../src/storage/volume.ts";
import { StorageGate } from "../src/storage/gate.ts";
import { storedSegment, tempDir } from "./helpers.ts";

const media = ffmpegEngine();
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.$client.close(true);
});

function setup() {
  const dir = tempDir();
  const root = join(dir, "recordings");
  const db = openDb(join(dir, "camkeep.db"));
  dbs.push(db);
  return { dir, root, db };
}

const stored = (db: Db, root: string, camera: string, start: number, withRow = true) =>
  storedSegment(db, root, camera, start, { row: withRow, copy: true });
const rows = (db: Db) => db.select().from(recordings).orderBy(recordings.start_time).all();

describe("start-up reconcile (docs/design.md#crash-safety)", () => {
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
    writeFileSync(truncated, readFileSync(orphan).subarray(0, 3000)); // killed mid-write, as a store straight to the final name would leave it
    const temp = tempPathFor(storagePath(root, "cam", T + 12));
    writeFileSync(temp, "partial");
    unlinkSync(storagePath(root, "cam", T + 2)); // a row whose file is gone
    rmSync(dirname(storagePath(root, "cam-2", T + 6)), { recursive: true }); // a whole folder gone

    const report = await reconcileStorage(db, media, root);
    expect(report).toEqual({
      ok: true,
      tempRemoved: 1,
      indexed: 1,
      unreadableRemoved: 1,
      unprobed: 0,
      rowsRemoved: 2,
      movedAwayRemoved: 0,
    });
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(truncated)).toBe(false);
    const after = rows(db);
    expect(after.map((r) => r.start_time)).toEqual([T, T + 4, T + 8]);
    expect(after[0]!.path).toBe(kept);
    expect(after[2]).toMatchObject({ path: orphan, camera: "cam", unjudged: true });
    expect(after[2]!.duration).toBeCloseTo(2, 1);
  });

  test("a file whose probe fails (tool missing, timeout) is left alone, neither deleted nor indexed (docs/design.md#crash-safety)", async () => {
    const { root, db } = setup();
    await reconcileStorage(db, media, root);
    const orphan = await stored(db, root, "cam", 1_790_000_000, false);
    const report = await reconcileStorage(
      db,
      ffmpegEngine({ ffprobe: join(tempDir(), "missing-ffprobe") }),
      root,
    );
    expect(report).toMatchObject({ ok: true, unprobed: 1, unreadableRemoved: 0, indexed: 0 });
    expect(existsSync(orphan)).toBe(true);
    expect((await reconcileStorage(db, media, root)).indexed).toBe(1); // the next start, with a working probe
  });

  test("a replaced (empty) database is rebuilt from storage, nothing deleted", async () => {
    const { dir, root, db } = setup();
    await reconcileStorage(db, media, root);
    for (let i = 0; i < 3; i++) await stored(db, root, "cam", 1_790_000_000 + i * 2);
    db.$client.close(true);
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

describe("storage carries the identity of its database (docs/design.md#crash-safety)", () => {
  test("another camkeep's disk mounted in its place is refused by id, even with no rows missing", async () => {
    const a = setup();
    const b = setup();
    await reconcileStorage(a.db, media, a.root);
    await reconcileStorage(b.db, media, b.root);
    const ours = await stored(b.db, b.root, "cam", 1_790_000_000);
    const theirs = await stored(a.db, a.root, "cam", 1_790_000_100, false); // a file B's index does not know
    const report = await reconcileStorage(b.db, media, a.root); // A's disk where B's storage should be
    expect(report.ok).toBe(false);
    expect(report.reason).toContain("belongs to another camkeep database");
    expect(rows(b.db).map((r) => r.path)).toEqual([ours]); // B's row kept although its file is not there
    expect(existsSync(theirs)).toBe(true);
    expect(rows(b.db)).toHaveLength(1); // and A's footage not indexed into B
  });

  test("the id lives in the marker and in the database; an old marker without one is upgraded, not refused", async () => {
    const { root, db } = setup();
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, VOLUME_MARKER), "camkeep storage volume, claimed 2026-01-01T00:00:00.000Z\n"); // before ids
    await stored(db, root, "cam", 1_790_000_000);
    expect((await reconcileStorage(db, media, root)).ok).toBe(true);
    const id = markerId(root);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(boundStorageId(db)).toBe(id);
    expect(rows(db)).toHaveLength(1);
  });

  test("a disk swapped while camkeep runs stops storing at once", async () => {
    const a = setup();
    const b = setup();
    await reconcileStorage(a.db, media, a.root);
    const gate = new StorageGate(b.db, media, b.root);
    expect((await gate.reconcile()).ok).toBe(true);
    expect(gate.problem()).toBeUndefined();
    rmSync(b.root, { recursive: true });
    mkdirSync(b.root);
    writeFileSync(join(b.root, VOLUME_MARKER), readFileSync(join(a.root, VOLUME_MARKER))); // another disk, mounted where b's was
    expect(gate.problem()).toContain("is not this database's");
  });
});
