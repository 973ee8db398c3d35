import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { S3Client } from "bun";
import { Database } from "bun:sqlite";
import { chromium } from "playwright-core";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { loadConfigFile } from "../src/config/load.ts";
import { runExpiry } from "../src/cleanup/expire.ts";
import {
  BUN,
  cameraSegment,
  freePort,
  keepers,
  ROOT,
  recordingRows,
  runTool,
  segmentName,
  startS3,
  tempDir,
  until,
  type S3Server,
} from "./helpers.ts";

/**
 * The bucket as a complete archive (docs/archive.md), against a real S3 server (s3rver) and read
 * back by clients nobody here wrote (awscli, s3cmd). The stolen box, end to end: a keeper records
 * into a copy tier with events, a kept event and a case, and seals its hours; it is killed with
 * SIGKILL and its data folder deleted; a new box restores from the bucket alone, and every
 * recording, event, case and seal is back, plays, exports signed and verifies.
 */

const keeper = keepers();
let s3: S3Server;
const HOUR = 3600;
/** Ten minutes into the hour three hours ago: sealed at once. */
const T0 = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 3 * HOUR + 600;
const TOKEN = "archive-test-token-0123456789";
const PREFIX = "site-a/";

beforeAll(async () => {
  s3 = await startS3("camkeep");
});
afterAll(async () => {
  await s3.kill();
});

const bucket = () =>
  new S3Client({
    endpoint: s3.endpoint,
    bucket: "camkeep",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
/** An object's text, or undefined; asked again when s3rver closed a kept-alive connection under it. */
const object = async (key: string): Promise<string | undefined> => {
  for (let attempt = 1; ; attempt++) {
    try {
      const file = bucket().file(PREFIX + key);
      return (await file.exists()) ? await file.text() : undefined;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
};

function boxYaml(dir: string, port: number): string {
  return `data_dir: ${dir}
api: { listen: 127.0.0.1:${port}, token: ${TOKEN} }
record: { retain: { days: 30 }, events: { pre_capture: 0, post_capture: 0 }, commit_interval: 0, scan_interval: 1 }
motion: { enabled: false }
cameras:
  door: {}
  yard: {}
storage:
  tiers:
    - name: offsite
      s3: { endpoint: "${s3.endpoint}", bucket: camkeep, prefix: ${PREFIX}, access_key_id: S3RVER, secret_access_key: S3RVER }
      copy: true
`;
}

/** camkeep's command line, from the source tree. */
const camkeep = (...args: string[]) => runTool([BUN, join(ROOT, "src/main.ts"), ...args]);

const COLUMNS = "id, camera, start_time, end_time, duration, motion, objects, segment_size, unjudged, sha256";

const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const call = (base: string, path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { ...init, headers: auth });

/** What the stolen box held, read from its API before it was killed. */
let before: {
  /** Every column a recording's row has but where it lives (tier, path, tiered). */
  recordings: Record<string, unknown>[];
  events: unknown[];
  cases: unknown[];
};
let oldDir: string;
let oldYaml: string;
let caseId: string;

describe("the stolen box", () => {
  test("a keeper records into a copy tier with events, a kept event and a case; the bucket gets the manifests", async () => {
    oldDir = tempDir("camkeep-stolen-");
    const port = freePort();
    oldYaml = boxYaml(oldDir, port);
    const file = join(oldDir, "camkeep.yml");
    writeFileSync(file, oldYaml);
    const proc = Bun.spawn([BUN, join(ROOT, "test/fixtures/sealing-keeper.ts"), file], {
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(
        async () => (await call(base, "/api/status").catch(() => undefined))?.ok === true,
        30_000,
        "the keeper",
      );
      const cache = join(oldDir, "cache");
      mkdirSync(cache, { recursive: true });
      for (const camera of ["door", "yard"])
        for (let n = 0; n < 5; n++)
          cameraSegment(join(cache, segmentName(camera, T0 + 2 * n)), { seconds: 2, n, audio: true });
      const alert = await call(base, "/api/events", {
        method: "POST",
        body: JSON.stringify({
          camera: "door",
          label: "person",
          start_time: T0 + 1,
          end_time: T0 + 3,
          severity: "alert",
        }),
      });
      expect(alert.status).toBe(201);
      const kept = await call(base, "/api/events", {
        method: "POST",
        body: JSON.stringify({
          camera: "yard",
          label: "car",
          start_time: T0 + 4,
          end_time: T0 + 6,
          retain_indefinitely: true,
        }),
      });
      expect(kept.status).toBe(201);
      const made = await call(base, "/api/cases", {
        method: "POST",
        body: JSON.stringify({
          title: "Bike theft",
          note: "police ref 2026-1234",
          spans: [
            { camera: "door", start: T0, end: T0 + 6 },
            { camera: "yard", start: T0 + 2, end: T0 + 8 },
          ],
        }),
      });
      expect(made.status).toBe(201);
      caseId = (await made.json()).id;
      // Everything copied, sealed, and the archive written.
      await until(
        async () => {
          const s = await (await call(base, "/api/status")).json();
          const offsite = s.tiers.find((t: { name: string }) => t.name === "offsite");
          if (offsite.copied !== 10 || offsite.pending !== 0 || s.archive.pending !== 0) return false;
          // every hour since the footage's sealed (empty ones too) and its manifest in the bucket
          for (const camera of ["door", "yard"])
            for (let h = 0; h < 3; h++) {
              const key = `camkeep-archive/v1/hours/${camera}/${new Date((T0 + h * HOUR) * 1000).toISOString().slice(0, 13)}.json`;
              if (!JSON.parse((await object(key)) ?? '{"seals":[]}').seals.length) return false;
            }
          return true;
        },
        90_000,
        "the copies, the seals and the archive",
        250,
      );
      const db = new Database(loadConfigFile(file).database, { readonly: true });
      before = {
        recordings: db
          .query(`SELECT ${COLUMNS} FROM recordings ORDER BY start_time, camera`)
          .all() as typeof before.recordings,
        events: await (await call(base, "/api/events?limit=100")).json(),
        cases: await (await call(base, "/api/cases")).json(),
      };
      db.close();
      expect(before.recordings).toHaveLength(10);
    } finally {
      proc.kill("SIGKILL"); // the thief
      await proc.exited;
    }
    expect(proc.signalCode).toBe("SIGKILL");
    // What the bucket holds now: the hour's manifests (segments and seals), events, cases, the certificate.
    const hourKey = `camkeep-archive/v1/hours/door/${new Date(T0 * 1000).toISOString().slice(0, 13)}.json`;
    const manifest = JSON.parse((await object(hourKey))!);
    expect(manifest).toMatchObject({ format: "camkeep-archive", version: 1, kind: "hour", camera: "door" });
    expect(manifest.segments).toHaveLength(5);
    expect(manifest.seals.length).toBeGreaterThanOrEqual(1);
    // (the hour was sealed with its first segment stored: the others came in amendments)
    const sealedHashes = manifest.seals.flatMap((s: { body: string }) =>
      JSON.parse(s.body).segments.map((segment: unknown[]) => segment[3]),
    );
    expect(sealedHashes.sort()).toEqual(manifest.segments.map((s: { sha256: string }) => s.sha256).sort());
    const box = JSON.parse((await object("camkeep-archive/v1/box.json"))!);
    expect(box.certificates).toHaveLength(1);
    expect(JSON.parse(manifest.seals[0].body).certificate_sha256).toBe(box.certificates[0].sha256);
    expect(box.certificates[0].pem).toContain("BEGIN CERTIFICATE");
    const day = new Date(T0 * 1000).toISOString().slice(0, 10);
    const events = JSON.parse((await object(`camkeep-archive/v1/events/yard/${day}.json`))!);
    expect(events.events).toMatchObject([{ label: "car", retain_indefinitely: true }]);
    const cases = JSON.parse((await object("camkeep-archive/v1/cases.json"))!);
    expect(cases.cases).toMatchObject([{ id: caseId, title: "Bike theft" }]);
  }, 150_000);

  test("the bucket reads back the same through awscli and s3cmd", async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const aws = (...args: string[]) => {
      const p = Bun.spawnSync(["aws", "--endpoint-url", s3.endpoint, ...args], { env });
      if (p.exitCode !== 0) throw new Error(`aws ${args.join(" ")}: ${p.stderr}`);
      return p.stdout.toString();
    };
    const manifestKey = `camkeep-archive/v1/hours/door/${new Date(T0 * 1000).toISOString().slice(0, 13)}.json`;
    const manifest = JSON.parse((await object(manifestKey))!);
    const segment = manifest.segments[0] as { key: string; size: number; sha256: string };
    // head-object: the store's own MD5 of the segment, equal to the MD5 of the bytes camkeep hashed
    const head = JSON.parse(
      aws("s3api", "head-object", "--bucket", "camkeep", "--key", PREFIX + segment.key),
    );
    expect(head.ContentLength).toBe(segment.size);
    const out = tempDir("camkeep-aws-");
    aws("s3", "cp", `s3://camkeep/${PREFIX}${segment.key}`, join(out, "segment.mp4"));
    const bytes = readFileSync(join(out, "segment.mp4"));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(segment.sha256);
    expect(head.ETag.replace(/"/g, "")).toBe(createHash("md5").update(bytes).digest("hex"));
    aws("s3", "cp", `s3://camkeep/${PREFIX}${manifestKey}`, join(out, "manifest.json"));
    expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe((await object(manifestKey))!);
    // s3cmd lists the archive's documents
    const s3cmd = Bun.spawnSync(
      [
        "s3cmd",
        "--no-ssl",
        `--host=127.0.0.1:${s3.port}`,
        `--host-bucket=127.0.0.1:${s3.port}`,
        "--access_key=S3RVER",
        "--secret_key=S3RVER",
        "--region=us-east-1",
        "ls",
        "--recursive",
        `s3://camkeep/${PREFIX}camkeep-archive/`,
      ],
      { env: { ...process.env, HOME: out } },
    );
    expect(s3cmd.stderr.toString()).toBe("");
    const listed = s3cmd.stdout.toString();
    expect(listed).toContain(`s3://camkeep/${PREFIX}${manifestKey}`);
    expect(listed).toContain(`s3://camkeep/${PREFIX}camkeep-archive/v1/box.json`);
    expect(listed).toContain(`s3://camkeep/${PREFIX}camkeep-archive/v1/cases.json`);
  }, 60_000);

  let app: App;
  let newDir: string;
  test("the data folder and storage gone, a new box restores from the bucket alone", async () => {
    rmSync(oldDir, { recursive: true, force: true });
    newDir = tempDir("camkeep-new-box-");
    const file = join(newDir, "camkeep.yml");
    writeFileSync(file, boxYaml(newDir, 0));
    const restored = await camkeep("restore", "--from", "offsite", "--config", file);
    expect(restored.err).toBe("");
    // Three hours a camera: the one recorded, and the two since (sealed empty: no holes in the chain).
    expect(restored.out).toContain("restored 10 segments in 6 camera-hours");
    expect(restored.out).toContain("every seal's chain and signature holds");
    expect(restored.code).toBe(0);
    // Again: the database now holds footage, and is not touched.
    const again = await camkeep("restore", "--from", "offsite", "--config", file);
    expect(again.code).toBe(1);
    expect(again.err).toContain("already holds 10 recordings");

    app = await keeper.start(loadConfigFile(file));
    const rows = recordingRows(app.db);
    const restoredDb = new Database(app.config.database, { readonly: true });
    expect(restoredDb.query(`SELECT ${COLUMNS} FROM recordings ORDER BY start_time, camera`).all()).toEqual(
      before.recordings,
    );
    restoredDb.close();
    expect(rows.every((r) => r.tier === "offsite")).toBe(true);
    expect(await (await call(app.url, "/api/events?limit=100")).json()).toEqual(before.events);
    expect(await (await call(app.url, "/api/cases")).json()).toEqual(before.cases);
    // What was restored is what the bucket holds: nothing is owed to it.
    const metrics = await (await call(app.url, "/metrics")).text();
    expect(metrics).toContain("camkeep_archive_pending 0");
    // The summary (rollups) counts what was restored.
    const totals = await (await call(app.url, "/api/status")).json();
    expect(totals.cameras.door.segments_kept).toBe(5);
    // The seals, checked by the command line against the stolen box's certificate.
    const seals = await camkeep("verify", "--seals", "--config", file);
    expect(seals.out).toContain("5 segments sealed: 5 stored as sealed, 0 altered, 0 missing");
    expect(seals.code).toBe(0);
  }, 90_000);

  test("the restored footage plays from the bucket, and a signed export of it verifies against the seals", async () => {
    const row = recordingRows(app.db)[0]!;
    const file = await call(app.url, `/api/recordings/${row.id}/file`);
    expect(file.status).toBe(200);
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(row.sha256!);
    const clip = await call(
      app.url,
      `/api/cameras/door/clip.mp4?start=${T0}&end=${T0 + 6}&signed=1&note=restored`,
    );
    expect(clip.status).toBe(200);
    const out = join(newDir, "export.mp4");
    writeFileSync(out, new Uint8Array(await clip.arrayBuffer()));
    const verified = await camkeep("verify", out, "--seals", "--config", join(newDir, "camkeep.yml"));
    expect(verified.out).toContain("signature valid");
    expect(verified.out).toContain("sealed");
    expect(verified.code).toBe(0);
  }, 60_000);

  test("expiry on the new box deletes from the bucket, and the manifest stops claiming it", async () => {
    const key = `camkeep-archive/v1/hours/door/${new Date(T0 * 1000).toISOString().slice(0, 13)}.json`;
    // The case closed, expiry 40 days on takes the door's footage (the yard's kept event holds its own).
    await call(app.url, `/api/cases/${caseId}`, { method: "PATCH", body: JSON.stringify({ closed: true }) });
    await runExpiry({ config: app.config, db: app.db, now: T0 + 40 * 86_400 });
    expect(recordingRows(app.db).filter((r) => r.camera === "door")).toEqual([]);
    await until(
      async () => JSON.parse((await object(key)) ?? "{}").segments?.length === 0,
      60_000,
      "the hour's manifest written again",
      250,
    );
    const manifest = JSON.parse((await object(key))!);
    expect(manifest.seals.length).toBeGreaterThanOrEqual(1); // what was recorded stays proven
    expect(manifest.deleted).toMatchObject([{ segments: 5, rule: expect.stringContaining("") }]);
  }, 90_000);
});

describe("restore meets a bucket that is not as it should be", () => {
  const put = (key: string, text: string) => bucket().write(`site-x/${key}`, text);
  test("documents it cannot read or understand are named, the rest restored; nothing there at all is refused", async () => {
    const dir = tempDir("camkeep-restore-bad-");
    const file = join(dir, "camkeep.yml");
    writeFileSync(file, boxYaml(dir, 0).replace(`prefix: ${PREFIX}`, "prefix: site-x/"));
    const restore = () => camkeep("restore", "--from", "offsite", "--config", file);
    const none = await restore();
    expect(none.code).toBe(1);
    expect(none.err).toContain("holds no camkeep archive there (no camkeep-archive/v1/box.json)");
    // One good hour (the stolen box's, by its own name), one garbled, one from a newer camkeep.
    await put("camkeep-archive/v1/box.json", (await object("camkeep-archive/v1/box.json"))!);
    const good = `camkeep-archive/v1/hours/yard/${new Date(T0 * 1000).toISOString().slice(0, 13)}.json`;
    await put(good, (await object(good))!);
    await put(
      "camkeep-archive/v1/hours/door/2026-01-01T00.json",
      '{"format":"camkeep-archive","version":1,"kind":"hour","segm',
    );
    await put(
      "camkeep-archive/v1/hours/door/2026-01-01T01.json",
      '{"format":"camkeep-archive","version":2,"kind":"hour"}',
    );
    // …and the good hour again under another name (a tampered bucket): its segments are there already.
    await put("camkeep-archive/v1/hours/yard/2027-01-01T02.json", (await object(good))!);
    const r = await restore();
    expect(r.out).toContain("camkeep-archive/v1/hours/yard/2027-01-01T02.json: cannot be restored");
    expect(r.out).toContain("camkeep-archive/v1/hours/door/2026-01-01T00.json: not JSON");
    expect(r.out).toContain(
      "camkeep-archive/v1/hours/door/2026-01-01T01.json: archive format version 2, this camkeep reads version 1",
    );
    expect(r.out).toContain("restored 3 segments in 1 camera-hours"); // the yard's three kept by its event
    expect(r.code).toBe(1);
    // A folder tier is no bucket.
    const folder = await camkeep("restore", "--from", "nowhere", "--config", file);
    expect(folder.err).toContain('--from nowhere: no tier "nowhere"');
  }, 60_000);
});

describe("viewer mode", () => {
  test("two sites' prefixes of a bucket, followed read-only: both sites' cameras shown as groups, and they play", async () => {
    // A second site: site-a's archive and footage as another box would have written them under site-b/.
    const b = bucket();
    for (let after: string | undefined; ; ) {
      const page = await b.list({ prefix: PREFIX, startAfter: after });
      for (const o of page.contents ?? [])
        await b.write(`site-b/${o.key.slice(PREFIX.length)}`, await b.file(o.key).arrayBuffer());
      if (!page.isTruncated) break;
      after = page.contents!.at(-1)!.key;
    }
    const dir = tempDir("camkeep-viewer-");
    const yaml = `${boxYaml(dir, 0).replace(/cameras:\n {2}door: \{\}\n {2}yard: \{\}\n/, "")}viewer:
  sites:
    - { name: home, tier: offsite }
    - { name: shop, tier: offsite, prefix: site-b/ }
`;
    writeFileSync(join(dir, "camkeep.yml"), yaml);
    const viewer = await keeper.start(loadConfigFile(join(dir, "camkeep.yml")));
    const status = await (await call(viewer.url, "/api/status")).json();
    expect(
      status.viewer.sites.map((s: { name: string; problem: string | null }) => [s.name, s.problem]),
    ).toEqual([
      ["home", null],
      ["shop", null],
    ]);
    const cameras = Object.entries(status.cameras as Record<string, { site: string; segments_kept: number }>)
      .map(([name, c]) => [name, c.site, c.segments_kept])
      .sort();
    expect(cameras).toEqual([
      ["home-yard", "home", 3],
      ["shop-yard", "shop", 3],
    ]);
    // Each site's footage plays from its own prefix: the same bytes, read through each.
    for (const camera of ["home-yard", "shop-yard"]) {
      const rows = await (await call(viewer.url, `/api/cameras/${camera}/recordings`)).json();
      expect(rows).toHaveLength(3);
      const file = await call(viewer.url, `/api/recordings/${rows[0].id}/file`);
      expect(file.status).toBe(200);
      const stored = recordingRows(viewer.db).find((r) => r.id === rows[0].id)!;
      expect(
        createHash("sha256")
          .update(new Uint8Array(await file.arrayBuffer()))
          .digest("hex"),
      ).toBe(stored.sha256!);
      const clip = await call(viewer.url, `/api/cameras/${camera}/clip.mp4?start=${T0}&end=${T0 + 10}`);
      expect(clip.status).toBe(200);
      expect((await clip.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    const events = await (await call(viewer.url, "/api/events?camera=shop-yard&limit=10")).json();
    expect(events).toMatchObject([
      { id: expect.stringMatching(/^shop\./), camera: "shop-yard", label: "car" },
    ]);
    // The page shows each site's cameras as a group (Debian's chromium).
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${viewer.url}/#token=${encodeURIComponent(viewer.token)}`);
      await page.waitForSelector("[data-site=shop]");
      const groups = await page.$$eval("main h2[data-site]", (hs) =>
        hs.map((h) => [
          h.textContent,
          [...h.nextElementSibling!.querySelectorAll("li")].map((li) => li.dataset.camera),
        ]),
      );
      expect(groups).toEqual([
        ["Site home", ["home-yard"]],
        ["Site shop", ["shop-yard"]],
      ]);
      // Each card draws its footage per day (docs/storage.md#days-left): a bar a day for 30 days.
      expect(
        await page.$$eval(".camera svg.daily", (svgs) => svgs.map((s) => s.querySelectorAll("rect").length)),
      ).toEqual([30, 30]);
    } finally {
      await browser.close();
    }
    // Read-only.
    const refused = await call(viewer.url, "/api/events", {
      method: "POST",
      body: JSON.stringify({ camera: "home-yard", label: "x", start_time: T0 }),
    });
    expect(refused.status).toBe(403);
    // The next look follows what changed: an hour gone from the shop's bucket leaves the viewer.
    await b.delete(
      `site-b/camkeep-archive/v1/hours/yard/${new Date(T0 * 1000).toISOString().slice(0, 13)}.json`,
    );
    await viewer.sites!.refresh(); // (the minute's look, now)
    expect(await (await call(viewer.url, "/api/cameras/shop-yard/recordings")).json()).toEqual([]);
    expect(await (await call(viewer.url, "/api/cameras/home-yard/recordings")).json()).toHaveLength(3);
    // …and a viewer deletes nothing in a bucket.
    expect(
      await b.file(`site-b/${recordingRows(viewer.db)[0]!.path.replace("home-yard", "yard")}`).exists(),
    ).toBe(true);
  }, 60_000);
});
