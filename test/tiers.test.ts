import { afterAll, describe, expect, test } from "bun:test";
import { S3Client } from "bun";
import { Database } from "bun:sqlite";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { VOLUME_MARKER } from "../src/storage/volume.ts";
import { join } from "node:path";
import { startApp, type App } from "../src/app.ts";
import { protectDisk } from "../src/cleanup/disk.ts";
import type { ConfigError } from "../src/config/load.ts";
import type { Db } from "../src/db/open.ts";
import { dueMoves, retryDelay } from "../src/domain/tiers.ts";
import { copyOnInsert, md5Hex } from "../src/tiers/target.ts";
import type { TransferFaults } from "../src/tiers/worker.ts";
import {
  configIn,
  ffprobeDuration,
  logged,
  putSegment,
  segmentName,
  startS3,
  storedSegment,
  tempDir,
  until,
  type S3Server,
  keepers,
  recordingRows,
} from "./helpers.ts";

/**
 * Storage tiers (docs/tiers.md) against the real things: a second folder as the NAS, and a real S3
 * server (s3rver) on a free loopback port. No store is mocked.
 */

const HOUR = 3600;
const keeper = keepers();
const servers: S3Server[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill();
});

async function s3(): Promise<S3Server> {
  const server = await startS3("camkeep");
  servers.push(server);
  return server;
}

const s3Yaml = (server: S3Server, extra = "") =>
  `s3: { endpoint: "${server.endpoint}", bucket: camkeep, prefix: site-a/, access_key_id: S3RVER, secret_access_key: S3RVER${extra} }`;

const client = (server: S3Server) =>
  new S3Client({
    endpoint: server.endpoint,
    bucket: "camkeep",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });

async function start(
  dir: string,
  tiersYaml: string,
  faults?: TransferFaults,
  commitInterval = 0,
): Promise<App> {
  return await keeper.start(
    configIn(
      dir,
      `api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 30 }, commit_interval: ${commitInterval} }\ncameras:\n  cam: {}\nstorage:\n  tiers:\n${tiersYaml}\n`,
    ),
    { transferFaults: faults },
  );
}

const rows = (app: App) => recordingRows(app.db);
/** Verified copies counted, in all tiers. */
const copies = (app: App) =>
  (app.db.$client.query("SELECT count(*) AS n FROM copies").get() as { n: number }).n;
const get = (app: App, path: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${app.token}`, ...headers } });

describe("which footage goes where (pure)", () => {
  test("footage old enough for a later tier goes there at once; copy tiers take no moves", () => {
    const plan = dueMoves(
      [{ name: "nas", after: 2 * 86_400 }, { name: "backup" }, { name: "offsite", after: 7 * 86_400 }],
      1_000_000,
    );
    expect(plan).toEqual([
      { from: "nas", to: "offsite", before: 1_000_000 - 7 * 86_400 },
      { from: null, to: "offsite", before: 1_000_000 - 7 * 86_400 },
      { from: null, to: "nas", before: 1_000_000 - 2 * 86_400 },
    ]);
    expect(dueMoves([{ name: "backup" }], 0)).toEqual([]);
  });
  test("retries wait 2, 4, 8 … seconds, never more than 10 minutes", () => {
    expect([1, 2, 3, 9, 10, 50].map(retryDelay)).toEqual([2, 4, 8, 512, 600, 600]);
    expect(retryDelay(0)).toBe(2);
  });
});

describe("tier configuration (docs/tiers.md)", () => {
  const problems = (yaml: string) => {
    try {
      configIn(tempDir(), `storage:\n  tiers:\n${yaml}`);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };
  test("each mistake is named with its place", () => {
    expect(problems("    - { name: nas, after: 2d }")).toEqual([
      "storage.tiers.0: give either path (a folder) or s3 (a bucket), not neither",
    ]);
    expect(problems("    - { name: nas, path: /mnt/nas }")).toEqual([
      "storage.tiers.0: give either after (move footage of that age) or copy: true (copy every kept segment at once), not neither",
    ]);
    expect(problems("    - { name: nas, path: /mnt/nas, after: 2d, copy: true }")[0]).toContain("not both");
    expect(problems("    - { name: nas, path: /mnt/nas, after: 2 days }")[0]).toContain(
      'storage.tiers.0.after: must be an age such as "30m"',
    );
    expect(
      problems("    - { name: a, path: /mnt/a, after: 2d }\n    - { name: b, path: /mnt/b, after: 1d }"),
    ).toEqual([
      "storage.tiers.1.after: tiers are checked in order as footage ages: must be later than the tier before it",
    ]);
    expect(
      problems("    - { name: a, path: /mnt/a, after: 2d }\n    - { name: a, path: /mnt/b, after: 3d }"),
    ).toEqual(['storage.tiers.1.name: "a" names two tiers']);
    expect(
      problems("    - { name: a, s3: { endpoint: 'http://x', bucket: b, access_key_id: k }, copy: true }"),
    ).toEqual(["storage.tiers.0.s3: give either secret_access_key or secret_access_key_file"]);
    expect(
      problems(
        "    - { name: a, s3: { endpoint: nowhere, bucket: b, access_key_id: k, secret_access_key: s }, copy: true }",
      )[0],
    ).toContain("storage.tiers.0.s3.endpoint: must be a URL");
  });
  test("a folder tier inside storage (or around it) is refused", () => {
    const dir = tempDir();
    expect(() =>
      configIn(dir, `storage:\n  tiers:\n    - { name: nas, path: ${dir}/recordings/nas, after: 1d }`),
    ).toThrow("overlaps recordings_dir");
  });
});

describe("the discards trigger costs nothing where no tier is used", () => {
  test("it exists while tiers are configured or anything is in one, and not otherwise", async () => {
    const dir = tempDir();
    const trigger = (db: Db) =>
      db.$client
        .query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'recordings_discard_tiers'")
        .all();
    const plain = await startApp(configIn(dir, "api: { listen: 127.0.0.1:0 }\n"));
    expect(trigger(plain.db)).toEqual([]);
    await plain.stop();
    const app = await start(dir, `    - { name: nas, path: ${dir}/nas, after: 1h }`);
    expect(trigger(app.db)).toEqual([{ name: "recordings_discard_tiers" }]);
    await storedSegment(app.db, app.config.recordingsDir, "cam", Math.floor(Date.now() / 1000) - 2 * HOUR, {
      copy: true,
    });
    await until(() => rows(app)[0]?.tier === "nas", 15_000, "the move");
    await keeper.stop(app);
    // Started without tiers, the keeper keeps the trigger while footage lives in one.
    const again = await startApp(configIn(dir, "api: { listen: 127.0.0.1:0 }\n"));
    expect(trigger(again.db)).toEqual([{ name: "recordings_discard_tiers" }]);
    const { path } = again.db.$client.query("SELECT path FROM recordings").get() as { path: string };
    again.db.$client.run("DELETE FROM recordings");
    expect(again.db.$client.query("SELECT tier, key FROM discards").all()).toEqual([
      { tier: "nas", key: path },
    ]);
    again.db.$client.run("DELETE FROM discards");
    await again.stop();
    const empty = await startApp(configIn(dir, "api: { listen: 127.0.0.1:0 }\n")); // nothing in tiers, none configured
    expect(trigger(empty.db)).toEqual([]);
    await empty.stop();
  });
});

describe("the queues' invariants (db/tiers.ts)", () => {
  test("a recording gets one move at a time, to the furthest tier it is due for", async () => {
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: nas, path: ${dir}/nas, after: 1d }\n    - { name: far, path: ${dir}/far, after: 2d }`,
    );
    await app.tiers.stop(); // the queues are driven by hand below
    const now = Math.floor(Date.now() / 1000);
    await storedSegment(app.db, app.config.recordingsDir, "cam", now - 3 * 86_400, { copy: true });
    const { queueTransfers, dueForMove } = await import("../src/db/tiers.ts");
    const plan = dueMoves(app.config.storage.tiers, now);
    for (const move of plan) {
      const due = dueForMove(app.db, move.from, move.to, move.before, 10);
      queueTransfers(
        app.db,
        due.map((r) => ({ id: r.id, tier: move.to, key: "k", kind: "move" as const })),
        now,
      );
    }
    expect(app.db.$client.query("SELECT tier, kind FROM transfers").all()).toEqual([
      { tier: "far", kind: "move" },
    ]);
    // Even asked for directly, a second move is refused by the schema.
    queueTransfers(app.db, [{ id: rows(app)[0]!.id, tier: "nas", key: "k", kind: "move" }], now);
    expect(app.db.$client.query("SELECT tier FROM transfers").all()).toEqual([{ tier: "far" }]);
  });

  test("the stuck state of a doubled move (a move to S3 beside a discard of its key) is worked off at start; the object is kept", async () => {
    const server = await s3();
    const dir = tempDir();
    const tiersYaml = `    - { name: nas, path: ${dir}/nas, after: 1d }\n    - { name: offsite, ${s3Yaml(server)}, after: 2d }`;
    const first = await start(dir, tiersYaml);
    const now = Math.floor(Date.now() / 1000);
    await storedSegment(first.db, first.config.recordingsDir, "cam", now - 3 * 86_400, { copy: true });
    await until(
      () => rows(first)[0]?.tier === "offsite" && !first.db.$client.query("SELECT 1 FROM transfers").get(),
      20_000,
      "the move to S3",
    );
    const { path: key } = first.db.$client.query("SELECT path FROM recordings").get() as { path: string };
    await keeper.stop(first);
    // As the reporter found it: the recording back on the NAS, a move to S3 queued, and a discard
    // of the S3 object under the same key (the object itself still there).
    const bytes = new Uint8Array(await client(server).file(`site-a/${key}`).arrayBuffer());
    mkdirSync(join(dir, "nas", key, ".."), { recursive: true });
    writeFileSync(join(dir, "nas", key), bytes);
    const raw = new Database(first.config.database);
    raw.run("UPDATE recordings SET tier = 'nas'");
    raw.run(
      "INSERT INTO transfers (recording_id, tier, key, kind, queued_at, next_try_at) SELECT id, 'offsite', path, 'move', 1, 1 FROM recordings",
    );
    raw.run("INSERT INTO discards (tier, key, queued_at, next_try_at) VALUES ('offsite', ?, 1, 1)", [key]);
    raw.close();

    const app = await start(dir, tiersYaml);
    await until(
      () =>
        rows(app)[0]?.tier === "offsite" &&
        !app.db.$client.query("SELECT 1 FROM transfers UNION ALL SELECT 1 FROM discards").get(),
      20_000,
      "the queues to empty",
    );
    expect(existsSync(join(dir, "nas", key))).toBe(false); // its NAS copy went once S3 held it
    expect(md5Hex(new Uint8Array(await client(server).file(`site-a/${key}`).arrayBuffer()))).toBe(
      md5Hex(bytes),
    );
    const res = await get(app, `/api/recordings/${rows(app)[0]!.id}/file`);
    expect(md5Hex(new Uint8Array(await res.arrayBuffer()))).toBe(md5Hex(bytes));
  }, 60_000);
});

describe("tiers with a real folder and a real S3 server (docs/tiers.md)", () => {
  test("old footage moves to the NAS folder, every segment is copied to S3, both verified; the moved copy plays with Range", async () => {
    const server = await s3();
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: nas, path: ${dir}/nas, after: 1h }\n    - { name: offsite, ${s3Yaml(server)}, copy: true }`,
    );
    const now = Math.floor(Date.now() / 1000);
    const old = [now - 3 * HOUR, now - 3 * HOUR + 2, now - 2 * HOUR];
    for (const t of [...old, now - 60])
      await storedSegment(app.db, app.config.recordingsDir, "cam", t, {
        copy: true,
        copyTo: copyOnInsert(app.config),
      });
    const original = readFileSync(rows(app)[0]!.path);

    await until(
      () => rows(app).filter((r) => r.tier === "nas").length === 3,
      20_000,
      "the three old segments to move to the NAS",
    );
    await until(() => copies(app) === 4, 20_000, "all four segments copied to S3"); // (the only copy tier)
    const [moved, , , recent] = rows(app);
    expect(recent!.tier).toBeNull(); // too young to move
    expect(existsSync(recent!.path)).toBe(true);
    expect(moved!.path).toMatch(/^\d{4}-\d{2}-\d{2}\/\d{2}\/cam\/\d{2}\.\d{2}\.mp4$/);
    const local = join(app.config.recordingsDir, moved!.path);
    expect(existsSync(local)).toBe(false); // the source went only after the NAS copy was verified
    expect(md5Hex(readFileSync(join(dir, "nas", moved!.path)))).toBe(md5Hex(original));
    expect(existsSync(join(dir, "nas", ".camkeep-volume"))).toBe(true);
    const remote = client(server).file(`site-a/${moved!.path}`);
    expect(md5Hex(new Uint8Array(await remote.arrayBuffer()))).toBe(md5Hex(original));

    const listed = (await (await get(app, "/api/cameras/cam/recordings")).json()) as {
      tier: string | null;
    }[];
    expect(listed.map((r) => r.tier)).toEqual(["nas", "nas", "nas", null]);
    const range = await get(app, `/api/recordings/${moved!.id}/file`, { range: "bytes=100-199" });
    expect(range.status).toBe(206);
    expect(range.headers.get("content-type")).toBe("video/mp4");
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(new Uint8Array(original.subarray(100, 200)));

    const status = (await (await get(app, "/api/status")).json()) as {
      tiers: { name: string; moved: number; copied: number; pending: number; bytes_moved: number }[];
    };
    expect(status.tiers.map((t) => [t.name, t.moved, t.copied, t.pending])).toEqual([
      ["nas", 3, 0, 0],
      ["offsite", 0, 4, 0],
    ]);
    expect(status.tiers[0]!.bytes_moved).toBe(3 * original.length);
    const metrics = await (await get(app, "/metrics")).text();
    expect(metrics).toContain(`camkeep_tier_bytes_moved_total{tier="nas"} ${3 * original.length}`);
    expect(metrics).toContain('camkeep_tier_queue_length{tier="offsite"} 0');
  }, 60_000);

  test("footage moved to S3 plays with Range, exports in a clip with local footage, and expiry removes the remote objects", async () => {
    const server = await s3();
    const dir = tempDir();
    const app = await start(dir, `    - { name: offsite, ${s3Yaml(server)}, after: 1h }`);
    const now = Math.floor(Date.now() / 1000);
    const t0 = now - 2 * HOUR; // two segments old enough to move, two not
    for (const t of [t0, t0 + 2, now - 60, now - 58])
      await storedSegment(app.db, app.config.recordingsDir, "cam", t, { copy: true });
    const original = readFileSync(rows(app)[0]!.path);
    await until(
      () => rows(app).filter((r) => r.tier === "offsite").length === 2,
      20_000,
      "two segments to move to S3",
    );
    const moved = rows(app)[0]!;

    const whole = await get(app, `/api/recordings/${moved.id}/file`);
    expect(whole.status).toBe(200);
    expect(md5Hex(new Uint8Array(await whole.arrayBuffer()))).toBe(md5Hex(original));
    const tail = await get(app, `/api/recordings/${moved.id}/file`, {
      range: `bytes=${original.length - 10}-`,
    });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(
      `bytes ${original.length - 10}-${original.length - 1}/${original.length}`,
    );
    const head = await fetch(`${app.url}/api/recordings/${moved.id}/file`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect(head.headers.get("content-length")).toBe(String(original.length));

    // One clip across S3 (the first two segments) and local storage (the other two).
    const clip = await get(app, `/api/cameras/cam/clip.mp4?start=${t0}&end=${now - 56}`);
    expect(clip.status).toBe(200);
    const out = join(dir, "clip.mp4");
    writeFileSync(out, new Uint8Array(await clip.arrayBuffer()));
    expect(await ffprobeDuration(out)).toBeGreaterThan(7);

    // Expiry of the remote footage removes the objects too.
    app.config.cameras.cam!.record.continuous[0]!.days = 0.5 / 24; // 30 minutes
    await app.cleanup.expireNow();
    expect(rows(app).map((r) => r.tier)).toEqual([null, null]); // the two recent local ones stay
    const s3c = client(server);
    await until(
      async () => !(await s3c.exists(`site-a/${moved.path}`)),
      20_000,
      "the expired segment's object to be removed from S3",
    );
    // No footage left, and the bucket's archive (docs/archive.md) claims none: only the box and the cases remain.
    const keys = async () => ((await s3c.list({ prefix: "site-a/" })).contents ?? []).map((o) => o.key);
    await until(async () => (await keys()).length === 2, 20_000, "the expired hour's manifest removed");
    expect(await keys()).toEqual([
      "site-a/camkeep-archive/v1/box.json",
      "site-a/camkeep-archive/v1/cases.json",
    ]);
  }, 60_000);

  test("a corrupted remote copy (hash mismatch) never lets the local copy go; the next attempt moves it", async () => {
    const server = await s3();
    const dir = tempDir();
    let corrupted = 0;
    const app = await start(dir, `    - { name: offsite, ${s3Yaml(server)}, after: 1h }`, async (step, t) => {
      if (step === "after-upload" && corrupted++ === 0)
        await client(server).write(`site-a/${t.key}`, "not the segment");
    });
    const path = await storedSegment(
      app.db,
      app.config.recordingsDir,
      "cam",
      Math.floor(Date.now() / 1000) - 2 * HOUR,
      { copy: true },
    );
    await until(
      () => app.tiers.counters.get("offsite")!.failures === 1,
      15_000,
      "the corrupted copy to be refused",
    );
    expect([existsSync(path), rows(app)[0]!.tier]).toEqual([true, null]);
    expect(app.tiers.counters.get("offsite")!.lastError).toContain("failed verification");
    await until(() => rows(app)[0]!.tier === "offsite", 20_000, "the retry to move it");
    expect(existsSync(path)).toBe(false);
  }, 60_000);

  test("wrong credentials and a missing bucket: clear errors in status, local footage untouched, health unaffected while storage has room", async () => {
    const server = await s3();
    for (const [key, bucket, expected] of [
      ["WRONG", "camkeep", "HTTP 403"],
      ["S3RVER", "nobucket", "bucket nobucket does not exist"],
    ] as const) {
      const dir = tempDir();
      const app = await start(
        dir,
        `    - { name: offsite, s3: { endpoint: "${server.endpoint}", bucket: ${bucket}, access_key_id: ${key}, secret_access_key: S3RVER }, after: 1h }`,
      );
      const path = await storedSegment(
        app.db,
        app.config.recordingsDir,
        "cam",
        Math.floor(Date.now() / 1000) - 2 * HOUR,
        { copy: true },
      );
      await until(() => app.tiers.counters.get("offsite")!.failures >= 1, 15_000, "the transfer to fail");
      const status = (await (await get(app, "/api/status")).json()) as {
        tiers: { last_error: string; pending: number }[];
        health: { status: string };
      };
      expect(status.tiers[0]!.last_error).toContain(expected);
      expect(status.tiers[0]!.pending).toBe(1);
      expect(status.health.status).toBe("ok");
      expect(existsSync(path)).toBe(true);
      expect(rows(app)[0]!.tier).toBeNull();
      await keeper.stop(app);
    }
  }, 60_000);

  test("a tier set up wrongly shows in status at once, before anything is due to go there", async () => {
    const server = await s3();
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: wrongkey, s3: { endpoint: "${server.endpoint}", bucket: camkeep, access_key_id: WRONG, secret_access_key: S3RVER }, after: 7d }
    - { name: nobucket, s3: { endpoint: "${server.endpoint}", bucket: nobucket, access_key_id: S3RVER, secret_access_key: S3RVER }, after: 8d }
    - { name: good, ${s3Yaml(server)}, after: 9d }`,
    );
    const problems = async () =>
      Object.fromEntries(
        (
          (await (await get(app, "/api/status")).json()) as {
            tiers: { name: string; problem: string | null }[];
          }
        ).tiers.map((t) => [t.name, t.problem]),
      );
    await until(
      async () => Object.values(await problems()).filter(Boolean).length === 2,
      10_000,
      "the probes",
    );
    const found = await problems();
    expect(found.wrongkey).toContain("HTTP 403 InvalidAccessKeyId");
    expect(found.nobucket).toContain("bucket nobucket does not exist");
    expect(found.good).toBeNull();
  }, 30_000);

  test("the S3 server killed mid-upload and started again: nothing is lost and every move completes", async () => {
    const server = await s3();
    const dir = tempDir();
    let killed = false;
    const app = await start(dir, `    - { name: offsite, ${s3Yaml(server)}, after: 1h }`, async (step) => {
      if (step === "after-upload" && !killed) {
        killed = true;
        await server.kill(); // the other upload in flight is cut off
      }
    });
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 6; i++)
      await storedSegment(app.db, app.config.recordingsDir, "cam", now - 2 * HOUR + i * 2, { copy: true });
    await until(
      () => app.tiers.counters.get("offsite")!.failures >= 2,
      15_000,
      "transfers to fail while the server is down",
    );
    // Nothing moved while the server is down (the first upload was cut before its verification):
    // every row is still local, its file there.
    expect(rows(app).map((r) => [r.tier, existsSync(r.path)])).toEqual(Array(6).fill([null, true]));
    // While it is down the tier rests after each failure (2, 4, 8 s …): six queued segments are
    // not each read, hashed and refused over and over.
    const failuresThen = app.tiers.counters.get("offsite")!.failures;
    await Bun.sleep(8_000);
    expect(app.tiers.counters.get("offsite")!.failures - failuresThen).toBeLessThanOrEqual(4);
    await server.restart();
    await until(
      () => rows(app).every((r) => r.tier === "offsite"),
      40_000,
      "every segment to move once the server is back",
    );
    const s3c = client(server);
    for (const r of rows(app)) expect(await s3c.exists(`site-a/${r.path}`)).toBe(true);
    expect(readdirSync(app.config.recordingsDir).filter((f) => !f.startsWith("."))).toEqual([]); // sources gone, folders too
    // All the footage is in the bucket now: the camera's still is made from there (the URL on ffmpeg's stdin).
    const still = await get(app, "/api/cameras/cam/still.jpg");
    expect(still.status).toBe(200);
    expect(still.headers.get("content-type")).toBe("image/jpeg");
    expect((await still.arrayBuffer()).byteLength).toBeGreaterThan(500);
  }, 90_000);

  test("a tier that is down holds up no other: its copies wait while moves to the NAS go on", async () => {
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: nas, path: ${dir}/nas, after: 1h }\n    - { name: offsite, s3: { endpoint: "http://127.0.0.1:9", bucket: b, access_key_id: k, secret_access_key: s }, copy: true }`,
    );
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++)
      await storedSegment(app.db, app.config.recordingsDir, "cam", now - 2 * HOUR + 2 * i, {
        copy: true,
        copyTo: copyOnInsert(app.config),
      });
    await until(() => rows(app).every((r) => r.tier === "nas"), 15_000, "the moves to the NAS");
    expect(app.tiers.counters.get("offsite")!.failures).toBeGreaterThan(0);
    const status = (await (await get(app, "/api/status")).json()) as {
      tiers: { name: string; pending: number; last_error: string | null }[];
    };
    expect(status.tiers.find((t) => t.name === "offsite")).toMatchObject({
      pending: 3,
      last_error: expect.stringContaining("cannot reach http://127.0.0.1:9"),
    });
  }, 30_000);

  test("verified copies are counted together after record.commit_interval, and at stop; sources go only then", async () => {
    const dir = tempDir();
    const app = await start(dir, `    - { name: nas, path: ${dir}/nas, after: 1h }`, undefined, 300);
    const now = Math.floor(Date.now() / 1000);
    const paths: string[] = [];
    for (let i = 0; i < 3; i++)
      paths.push(
        await storedSegment(app.db, app.config.recordingsDir, "cam", now - 2 * HOUR + 2 * i, { copy: true }),
      );
    const nasFiles = () =>
      existsSync(join(dir, "nas"))
        ? readdirSync(join(dir, "nas"), { recursive: true })
            .map(String)
            .filter((f) => f.endsWith(".mp4")).length
        : 0;
    await until(() => nasFiles() === 3, 15_000, "the three copies in the NAS");
    await Bun.sleep(2_500); // a tick or more: not yet counted, the commit interval has not passed
    expect(rows(app).map((r) => r.tier)).toEqual([null, null, null]);
    for (const p of paths) expect(existsSync(p)).toBe(true);
    await keeper.stop(app); // counts what was verified, in one transaction
    const db = new Database(app.config.database, { readonly: true });
    expect(db.query("SELECT tier FROM recordings ORDER BY start_time").all()).toEqual([
      { tier: "nas" },
      { tier: "nas" },
      { tier: "nas" },
    ]);
    db.close();
    for (const p of paths) expect(existsSync(p)).toBe(false);
  }, 60_000);

  test("a move whose storage disk went away before its source was removed leaves the file to the next start's reconcile (the gate is asked)", async () => {
    const dir = tempDir();
    const marker = join(dir, "recordings", VOLUME_MARKER);
    let app = await start(dir, `    - { name: nas, path: ${dir}/nas, after: 1h }`, async (step) => {
      // The disk unmounted between the commit and the source's removal.
      if (step === "after-commit" && existsSync(marker)) renameSync(marker, `${marker}.away`);
    });
    const now = Math.floor(Date.now() / 1000);
    const path = await storedSegment(app.db, app.config.recordingsDir, "cam", now - 2 * HOUR, { copy: true });
    await until(() => rows(app)[0]?.tier === "nas", 15_000, "the move to commit");
    await Bun.sleep(500);
    expect(existsSync(path)).toBe(true); // not deleted through a gate that says no
    renameSync(`${marker}.away`, marker);
    await keeper.stop(app);
    app = await start(dir, `    - { name: nas, path: ${dir}/nas, after: 1h }`);
    expect(existsSync(path)).toBe(false); // reconcile: already moved to a tier, removed
    expect(rows(app).map((r) => r.tier)).toEqual(["nas"]);
  }, 60_000);

  test("a share that hangs (its marker never answers) is a problem of its tier; storing and the API go on", async () => {
    const dir = tempDir();
    const nas = join(dir, "nas");
    mkdirSync(nas);
    const fifo = join(nas, ".camkeep-volume");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0); // reading it blocks, as a dead hard-mounted NFS share does
    const app = await start(dir, `    - { name: nas, path: ${nas}, after: 1h }`);
    const path = await storedSegment(
      app.db,
      app.config.recordingsDir,
      "cam",
      Math.floor(Date.now() / 1000) - 2 * HOUR,
      { copy: true },
    );
    try {
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
        expect(performance.now() - t0).toBeLessThan(1_000); // the event loop is never held
        await Bun.sleep(700);
      }
      await until(
        () => (app.tiers.status()[0]!.problem ?? "").includes("does not answer within 5 s"),
        10_000,
        "the hung share to be reported",
      );
      expect(existsSync(path)).toBe(true);
      expect(rows(app)[0]!.tier).toBeNull();
    } finally {
      for (let i = 0; i < 5; i++) Bun.spawnSync(["sh", "-c", `exec 3<>"${fifo}"; exec 3>&-`]); // let the blocked reads end
    }
  }, 40_000);

  test("a quota deletes the oldest footage wherever it lives: the NAS's files go too", async () => {
    const dir = tempDir();
    const app = await start(dir, `    - { name: nas, path: ${dir}/nas, after: 1h }`);
    const now = Math.floor(Date.now() / 1000);
    // Through the cache, as a recorder's segments come: the keeper counts what each camera keeps.
    for (let i = 0; i < 3; i++)
      await putSegment(
        app.config.cacheDir,
        segmentName("cam", now - 2 * HOUR + 2 * i),
        2,
        (now - 2 * HOUR + 2 * i + 2) * 1000,
      );
    await until(
      () => rows(app).length === 3 && rows(app).every((r) => r.tier === "nas"),
      20_000,
      "the segments stored and moved",
    );
    const [oldest, ...rest] = rows(app);
    app.config.cameras.cam!.record.max_size = 2 * oldest!.segment_size; // room for two
    await app.cleanup.enforceQuotasNow();
    expect(rows(app).map((r) => r.id)).toEqual(rest.map((r) => r.id));
    await until(
      () => !existsSync(join(dir, "nas", oldest!.path)),
      15_000,
      "the oldest segment's file to leave the NAS",
    );
    for (const r of rest) expect(existsSync(join(dir, "nas", r.path))).toBe(true);
  }, 30_000);

  test("at start a folder tier is compared with the index: a lost file's row reads its copy elsewhere or goes, a lost copy is made again; most lost changes nothing", async () => {
    const dir = tempDir();
    const tiers = `    - { name: nas, path: ${dir}/nas, after: 1h }\n    - { name: backup, path: ${dir}/backup, copy: true }`;
    let app = await start(dir, tiers);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 4; i++)
      await putSegment(
        app.config.cacheDir,
        segmentName("cam", now - 2 * HOUR + 2 * i),
        2,
        (now - 2 * HOUR + 2 * i + 2) * 1000,
      );
    await until(
      () => rows(app).length === 4 && rows(app).every((r) => r.tier === "nas") && copies(app) === 4,
      20_000,
      "four segments moved to the NAS and copied to the backup",
    );
    const [a, b, c] = rows(app);
    await keeper.stop(app);
    // The NAS lost a's file (its backup copy lives on); the backup lost b's copy; and c, both.
    for (const [tier, r] of [
      ["nas", a],
      ["backup", b],
      ["nas", c],
      ["backup", c],
    ] as const)
      unlinkSync(join(dir, tier, r!.path));
    app = await start(dir, tiers);
    await until(() => rows(app).length === 3, 15_000, "c's row to go: no copy of it is left");
    const now2 = rows(app);
    expect(now2.find((r) => r.id === a!.id)!.tier).toBe("backup"); // read from its copy now
    expect(now2.find((r) => r.id === b!.id)!.tier).toBe("nas");
    await until(() => existsSync(join(dir, "backup", b!.path)), 15_000, "b's lost copy to be made again");
    const status = (await (await get(app, "/api/status")).json()) as {
      cameras: { cam: { segments_kept: number } };
    };
    expect(status.cameras.cam.segments_kept).toBe(3); // the totals follow
    expect((await get(app, `/api/recordings/${a!.id}/file`)).status).toBe(200);
    const onNas = rows(app).filter((r) => r.tier === "nas");
    await keeper.stop(app);

    // Most files missing (another share mounted in its place, marker and all): nothing changes.
    for (const r of onNas) unlinkSync(join(dir, "nas", r.path));
    const log = await logged(async () => {
      app = await start(dir, tiers);
      await Bun.sleep(1_500);
    });
    expect(log).toContain("files the index points at are missing: changing nothing");
    expect(rows(app).length).toBe(3);
  }, 60_000);

  test("max_rate paces the transfers to a tier", async () => {
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: nas, path: ${dir}/nas, after: 1h, max_rate: 20kB, concurrency: 4 }`,
    );
    const now = Math.floor(Date.now() / 1000);
    const size = Bun.file(
      await storedSegment(app.db, app.config.recordingsDir, "cam", now - 2 * HOUR, { copy: true }),
    ).size;
    for (const t of [now - 2 * HOUR + 2, now - 2 * HOUR + 4])
      await storedSegment(app.db, app.config.recordingsDir, "cam", t, { copy: true });
    const t0 = performance.now();
    await until(() => rows(app).every((r) => r.tier === "nas"), 20_000, "the paced moves");
    // The first goes at once; each next one waits for the bytes before it at 20 kB/s.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(((2 * size) / 20_000) * 1000 * 0.9);
  }, 60_000);

  test("events first (docs/tiers.md#events-first): an alert's footage is copied ahead of the continuous footage queued before it, also when the alert is heard after its footage was queued", async () => {
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: offsite, path: ${dir}/offsite, copy: true, max_rate: 20kB, concurrency: 1 }`,
    );
    const copyTo = copyOnInsert(app.config);
    const now = Math.floor(Date.now() / 1000);
    const store = (t: number) =>
      storedSegment(app.db, app.config.recordingsDir, "cam", t, {
        copy: true,
        copyTo,
        motion: 0,
        objects: 0,
      });
    const alert = (start: number) =>
      fetch(`${app.url}/api/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          camera: "cam",
          label: "person",
          start_time: start,
          end_time: start + 10,
          severity: "alert",
        }),
      });
    // Continuous footage queued first: at 20 kB/s, many seconds of it.
    const continuous: string[] = [];
    for (let i = 0; i < 14; i++) continuous.push(await store(now - HOUR + i * 2));
    const backlog = continuous.reduce((n, p) => n + Bun.file(p).size, 0);
    expect(backlog / 20_000).toBeGreaterThan(8); // seconds of continuous footage ahead, in arrival order
    // One alert heard before its footage is stored; another heard after its footage was queued.
    expect((await alert(now - 600)).status).toBe(201);
    await store(now - 598);
    await store(now - 398);
    expect((await alert(now - 400)).status).toBe(201);
    const byStart = (t: number) => rows(app).find((r) => r.start_time === t)!.id;
    const alerts = [byStart(now - 598), byStart(now - 398)];
    const copied = (id: string) =>
      !!app.db.$client.query("SELECT 1 FROM copies WHERE recording_id = ?").get(id);
    await until(() => alerts.every(copied), 30_000, "the alerts' copies");
    // When they arrived, most of the continuous footage queued before them was still waiting.
    const continuousCopied = rows(app).filter((r) => !alerts.includes(r.id) && copied(r.id)).length;
    expect(continuousCopied).toBeLessThan(7);
  }, 60_000);

  test("a copy tier added later copies the footage already kept; disk protection then first gives up local files that have a verified copy: rows point at the copies, no footage is deleted", async () => {
    const dir = tempDir();
    // Footage stored before the copy tier was configured is copied too, once it is.
    const before = await startApp(configIn(dir, "api: { listen: 127.0.0.1:0 }\ncameras:\n  cam: {}\n"));
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++)
      await storedSegment(before.db, before.config.recordingsDir, "cam", now - HOUR + i * 2, { copy: true });
    await before.stop();
    const app = await start(dir, `    - { name: backup, path: ${dir}/backup, copy: true }`);
    await until(() => copies(app) === 3, 15_000, "the copies");
    // One copy lost on the backup disk since it was verified: checked again before it may stand in.
    const lost = rows(app)[1]!;
    const lostKey = lost.path.slice(app.config.recordingsDir.length + 1);
    unlinkSync(join(dir, "backup", lostKey));
    let calls = 0;
    const confirmCopy = (c: { id: string; path: string; tier: string; key: string }) =>
      app.tiers.confirmCopy(c);
    const report = await protectDisk({
      config: app.config,
      db: app.db,
      free: () => (calls++ === 0 ? 0 : 100),
      threshold: 100,
      confirmCopy,
    });
    expect(report).toMatchObject({ repointed: 2, deleted: 0 });
    expect(rows(app).map((r) => r.tier)).toEqual(["backup", null, "backup"]);
    expect(existsSync(lost.path)).toBe(true); // its copy was gone: the local file stays, and is copied again
    await until(() => existsSync(join(dir, "backup", lostKey)), 15_000, "the lost copy to be made again");
    calls = 0;
    expect(
      await protectDisk({
        config: app.config,
        db: app.db,
        free: () => (calls++ === 0 ? 0 : 100),
        threshold: 100,
        confirmCopy,
      }),
    ).toMatchObject({ repointed: 1, deleted: 0 });
    expect(rows(app).map((r) => r.tier)).toEqual(["backup", "backup", "backup"]);
    for (const r of rows(app)) {
      expect(existsSync(join(dir, "backup", r.path))).toBe(true);
      const file = await get(app, `/api/recordings/${r.id}/file`);
      expect(file.status).toBe(200);
    }
    expect(copies(app)).toBe(0);

    // Then, with no copy left to fall back on, it deletes local footage only: deleting what
    // lives in a tier would free nothing here.
    const local = await storedSegment(app.db, app.config.recordingsDir, "cam", now - 60, { copy: true }); // newer than those in the tier
    app.db.$client.run("DELETE FROM transfers"); // its copy never made: nothing to fall back on
    calls = 0;
    const second = await protectDisk({
      config: app.config,
      db: app.db,
      free: () => (calls++ === 0 ? 0 : 100),
      threshold: 100,
      confirmCopy,
    });
    expect(second).toMatchObject({ repointed: 0, deleted: 1 });
    expect(existsSync(local)).toBe(false);
    expect(rows(app).map((r) => r.tier)).toEqual(["backup", "backup", "backup"]);
  }, 60_000);

  test("an unreadable secret_access_key_file makes that tier wait with the reason; the rest runs", async () => {
    const dir = tempDir();
    const app = await start(
      dir,
      `    - { name: offsite, s3: { endpoint: "http://127.0.0.1:9", bucket: b, access_key_id: k, secret_access_key_file: ${dir}/missing-secret }, after: 1h }`,
    );
    await storedSegment(app.db, app.config.recordingsDir, "cam", Math.floor(Date.now() / 1000) - 2 * HOUR, {
      copy: true,
    });
    await until(() => app.tiers.counters.get("offsite")!.failures >= 1, 15_000, "the transfer to be refused");
    const status = (await (await get(app, "/api/status")).json()) as {
      tiers: { problem: string }[];
      health: { status: string };
    };
    expect(status.tiers[0]!.problem).toContain(`cannot read secret_access_key_file ${dir}/missing-secret`);
    expect(status.health.status).toBe("ok");
    expect(rows(app)[0]!.tier).toBeNull();
  }, 30_000);
});
