import { describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import journal from "../drizzle/meta/_journal.json";
import { embeddedMigrations } from "../src/db/migrations.ts";
import { openDb } from "../src/db/open.ts";
import { ROOT, configIn, tempDir, until } from "./helpers.ts";

describe("database migrations", () => {
  test("every migration drizzle-kit wrote is embedded", () => {
    const files = readdirSync(join(ROOT, "drizzle"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/\.sql$/, ""));
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(files.sort());
    expect(embeddedMigrations()).toHaveLength(files.length);
  });
  test("a stopped keeper holds nothing of its database: another can lock it whole at once", async () => {
    const { startApp } = await import("../src/app.ts");
    const app = await startApp(configIn(tempDir(), "api: { listen: 127.0.0.1:0 }\n"));
    await app.stop();
    const other = new Database(app.config.database);
    other.run("PRAGMA locking_mode = EXCLUSIVE");
    expect(() => other.run("BEGIN EXCLUSIVE")).not.toThrow(); // "database is locked" while a closed connection lingered
    other.run("COMMIT");
    other.close(true);
  });
  test("opening twice applies each migration once, in WAL mode", () => {
    const path = join(tempDir(), "x.db");
    openDb(path).$client.close();
    const db = openDb(path);
    expect(db.$client.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({
      n: journal.entries.length,
    });
    expect(db.$client.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    db.$client.close();
  });
  test("a database made by an older version is upgraded in place, keeping its rows", () => {
    const path = join(tempDir(), "old.db");
    const old = new Database(path);
    const first = embeddedMigrations()[0]!;
    for (const statement of first.sql) old.run(statement);
    old.run(
      "CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)",
    );
    old.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)", [
      first.hash,
      first.folderMillis,
    ]);
    old.run("INSERT INTO recordings VALUES ('1-abcdef', 'cam', '/r/x.mp4', 1, 2, 1, 0, 0, 10, 0)");
    old.close();
    const db = openDb(path);
    expect(db.$client.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({
      n: journal.entries.length,
    });
    expect(db.$client.query("SELECT id FROM recordings").all()).toEqual([{ id: "1-abcdef" }]);
    expect(db.$client.query("SELECT name FROM sqlite_master WHERE name = 'health_probe'").get()).toEqual({
      name: "health_probe",
    });
    // The hourly rollups are built for the footage it already had.
    expect(db.$client.query("SELECT * FROM recording_buckets").all()).toEqual([
      {
        camera: "cam",
        bucket: 0,
        segments: 1,
        duration_ms: 1000,
        bytes: 10,
        motion: 0,
        objects: 0,
        events: 0,
      },
    ]);
    db.$client.close();
  });
  test("an archive with a recording moving to two tiers at once keeps one move for nothing: it is queued again, what they wrote discarded", () => {
    const path = join(tempDir(), "doubled.db");
    const old = new Database(path);
    old.run(
      "CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)",
    );
    const all = embeddedMigrations();
    const before = all.findIndex((m) => m.sql.some((q) => q.includes("transfers_one_move")));
    for (const m of all.slice(0, before)) {
      for (const statement of m.sql) old.run(statement);
      old.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)", [m.hash, m.folderMillis]);
    }
    old.run(
      "INSERT INTO recordings (id, camera, path, start_time, end_time, duration, motion, objects, segment_size, tier, tiered) VALUES ('1-a', 'cam', 'k/a.mp4', 1, 2, 1, 0, 0, 10, 'offsite', 1), ('2-b', 'cam', '/r/b.mp4', 3, 4, 1, 0, 0, 10, NULL, 1)",
    );
    old.run(
      "INSERT INTO transfers (recording_id, tier, key, kind, queued_at, next_try_at) VALUES ('1-a', 'nas', 'k/a.mp4', 'move', 1, 1), ('1-a', 'offsite', 'k/a.mp4', 'move', 1, 1), ('2-b', 'nas', 'b.mp4', 'move', 1, 1)",
    );
    old.close();
    const db = openDb(path);
    expect(db.$client.query("SELECT recording_id, tier FROM transfers").all()).toEqual([
      { recording_id: "2-b", tier: "nas" },
    ]);
    // The offsite object is the row's own copy: only the NAS one (perhaps half written) goes.
    expect(db.$client.query("SELECT tier, key FROM discards").all()).toEqual([
      { tier: "nas", key: "k/a.mp4" },
    ]);
    db.$client.close();
  });
  test("a compiled binary run from another folder creates and migrates its database", async () => {
    const build = Bun.spawnSync(["sh", join(ROOT, "scripts/build.sh"), "linux-x64"], {
      cwd: ROOT,
      env: { ...process.env, CAMKEEP_XZ: "0" }, // the binary is all this needs
    });
    expect(build.exitCode).toBe(0);
    const bin = join(ROOT, "dist/camkeep-linux-x64");
    const elsewhere = tempDir();
    writeFileSync(join(elsewhere, "camkeep.yml"), "api: { listen: 127.0.0.1:0 }\n"); // defaults otherwise
    const child = Bun.spawn([bin, "run"], {
      cwd: elsewhere,
      stderr: "pipe",
      env: { ...process.env, CAMKEEP_CONFIG: "camkeep.yml" },
    });
    const dbPath = join(elsewhere, "data/camkeep.db");
    await until(
      () => Bun.file(join(elsewhere, "data/recordings/.camkeep-volume")).exists(),
      10_000,
      "the binary to claim its storage",
    );
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables).toEqual([
      { name: "__drizzle_migrations" },
      { name: "archive_dirty" },
      { name: "audit" },
      { name: "camera_totals" },
      { name: "case_spans" },
      { name: "cases" },
      { name: "copies" },
      { name: "discards" },
      { name: "events" },
      { name: "health_probe" },
      { name: "late_segments" },
      { name: "meta" },
      { name: "recording_buckets" },
      { name: "recordings" },
      { name: "rule_deletions" },
      { name: "seal_heads" },
      { name: "seals" },
      { name: "sessions" },
      { name: "shares" },
      { name: "signed_exports" },
      { name: "sqlite_sequence" },
      { name: "transfers" },
      { name: "users" },
    ]);
    db.close();
  });
});
