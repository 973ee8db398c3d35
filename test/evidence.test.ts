import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { HashBackfill } from "../src/evidence/backfill.ts";
import { FootageLocator } from "../src/tiers/footage.ts";
import { oeffTrailer, readOeff } from "../src/media/mp4/oeff.ts";
import {
  BUN,
  cameraSegment,
  configIn,
  keepers,
  ROOT,
  runTool,
  recordingRows,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

/**
 * Evidence (docs/evidence.md): real segments stored by a real keeper are hashed as stored; a
 * signed export verifies with camkeep, and with the openssl procedure of the docs run as written;
 * one flipped byte anywhere fails both; Range slices equal the whole.
 */
const keeper = keepers();
const T0 = Math.floor(Date.now() / 1000) - 3600;
let app: App;
let dir: string;
const headers = () => ({ authorization: `Bearer ${app.token}` });

/** The docs' openssl procedure, as written there, run on `file`. */
async function opensslProcedure(file: string) {
  const doc = readFileSync(join(ROOT, "docs/evidence.md"), "utf8");
  const section = doc.slice(doc.indexOf("### With openssl and coreutils only"));
  const script = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const work = tempDir();
  writeFileSync(join(work, "check.sh"), script.replace(/^f=clip\.mp4$/m, `f=${JSON.stringify(file)}`));
  return runTool(["sh", "check.sh"], work);
}

const signedUrl = (start: number, end: number, note = "case 42") =>
  `${app.url}/api/cameras/gate/clip.mp4?start=${start}&end=${end}&signed=1&note=${encodeURIComponent(note)}`;

beforeAll(async () => {
  dir = tempDir();
  const yaml =
    "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  gate: {}\n";
  app = await keeper.start(configIn(dir, yaml));
  writeFileSync(app.config.source, `data_dir: ${dir}\n${yaml}`); // for the commands run beside it
  mkdirSync(app.config.cacheDir, { recursive: true });
  for (let n = 0; n < 4; n++)
    cameraSegment(join(app.config.cacheDir, segmentName("gate", T0 + 2 * n)), { seconds: 2, n, audio: true });
  await until(() => recordingRows(app.db).length === 4, 30_000, "the keeper to store the segments");
}, 60_000);

describe("hashes at store", () => {
  test("every stored segment's row holds the SHA-256 of its file as stored", () => {
    const rows = recordingRows(app.db);
    for (const r of rows) {
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.sha256).toBe(createHash("sha256").update(readFileSync(r.path)).digest("hex"));
    }
  });
});

describe("hashing footage stored before hashing existed", () => {
  test("fills the missing hashes at no more than its rate, the right ones; stop() cuts it short", async () => {
    const rows = recordingRows(app.db);
    const truth = new Map(rows.map((r) => [r.id, r.sha256]));
    app.db.$client.run("UPDATE recordings SET sha256 = NULL");
    const bytes = rows.reduce((n, r) => n + r.segment_size, 0);
    // Cut short: stopped at once, it leaves what it had not done.
    const stopped = new HashBackfill(
      app.db,
      new FootageLocator(app.config.recordingsDir, new Map()),
      bytes / 10,
    );
    stopped.start();
    const t = performance.now();
    await stopped.stop();
    expect(performance.now() - t).toBeLessThan(1000);
    expect(stopped.left()).toBeGreaterThan(0);
    // At a rate of the whole in 2 s, the whole takes at least that.
    const backfill = new HashBackfill(
      app.db,
      new FootageLocator(app.config.recordingsDir, new Map()),
      bytes / 2,
    );
    const started = performance.now();
    backfill.start();
    await until(() => backfill.left() === 0, 30_000, "every segment hashed");
    expect(performance.now() - started).toBeGreaterThan(1500);
    await backfill.stop();
    for (const r of recordingRows(app.db)) expect(r.sha256).toBe(truth.get(r.id)!);
    const status = await (await fetch(`${app.url}/api/status`, { headers: headers() })).json();
    expect(status.evidence).toMatchObject({ unhashed: 0 });
  });
});

describe("the OEFF signature box (pure)", () => {
  test("reads back what it wrote; the signature is the box's last bytes", () => {
    const fields = {
      fragmentId: new Uint8Array(16).fill(7),
      start: 1_800_000_000.25,
      duration: 30,
      userInformation: '{"note":"ünïcode"}',
      certificateDer: new Uint8Array([0x30, 0x82, 1, 2, 3]),
      signatureLength: 256,
    };
    const { bytes, signatureAt } = oeffTrailer(fields);
    expect(bytes.length - signatureAt).toBe(256);
    const read = readOeff(bytes, 1000);
    expect(read.signatureAt).toBe(1000 + signatureAt);
    expect(read.userInformation).toBe(fields.userInformation);
    expect(read.start).toBeCloseTo(fields.start, 6);
    expect(read.duration).toBe(30);
    expect(read.schemeVersion).toBe("1.0");
    expect([...read.certificateDer]).toEqual([...fields.certificateDer]);
  });
});

describe("signed exports (docs/evidence.md)", () => {
  let file: string;
  let whole: Uint8Array;
  beforeAll(async () => {
    const res = await fetch(signedUrl(T0 + 1, T0 + 7), { headers: headers() });
    expect(res.status).toBe(200);
    whole = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(whole.length));
    const head = await fetch(signedUrl(T0 + 1, T0 + 7), { method: "HEAD", headers: headers() });
    expect(head.headers.get("content-length")).toBe(String(whole.length));
    expect(head.headers.get("etag")).toBe(res.headers.get("etag"));
    file = join(tempDir(), "signed.mp4");
    writeFileSync(file, whole);
  });

  test("camkeep verify says valid, names the box, and shows what the export says of itself", async () => {
    const r = await runTool([BUN, join(ROOT, "src/main.ts"), "verify", file]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("signature valid");
    expect(r.out).toContain("camkeep on");
    expect(r.out).toContain('"camera":"gate"');
    expect(r.out).toContain('"note":"case 42"');
  });

  test("the openssl procedure of the docs says Verified OK, and the certificate is the one the API publishes", async () => {
    const r = await opensslProcedure(file);
    expect(r.out).toContain("Verified OK");
    expect(r.code).toBe(0);
    const cert = await fetch(`${app.url}/api/evidence/certificate`, { headers: headers() });
    const fingerprint = cert.headers.get("x-certificate-sha256")!;
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(r.out).toContain(fingerprint);
    const key = join(app.config.dataDir, "evidence/box-key.pem");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(await cert.text()).not.toContain("PRIVATE");
  });

  test("one flipped byte anywhere — media, index, signature box — fails both checks", async () => {
    const places = [100, Math.floor(whole.length / 2), whole.length - 300, whole.length - 1];
    for (const at of places) {
      const bad = whole.slice();
      bad[at]! ^= 0x01;
      const path = join(tempDir(), "flipped.mp4");
      writeFileSync(path, bad);
      const ours = await runTool([BUN, join(ROOT, "src/main.ts"), "verify", path]);
      expect(ours.code).toBe(1);
      const theirs = await opensslProcedure(path);
      expect(theirs.out).not.toContain("Verified OK");
    }
  });

  test("plays as the clip it signs: ffprobe reads it, ffmpeg decodes it without an error", async () => {
    const r = await runTool(["ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"]);
    expect(r.code).toBe(0);
    expect(r.err.trim()).toBe("");
  });

  test("the same URL gives the same bytes; Range slices (also one reaching into the signature first) equal the whole", async () => {
    // A fresh export (another note): its first request is a Range at the end.
    const url = signedUrl(T0 + 1, T0 + 7, "ranges first");
    const tail = await fetch(url, { headers: { ...headers(), range: "bytes=-100" } });
    expect(tail.status).toBe(206);
    const tailBytes = new Uint8Array(await tail.arrayBuffer());
    const full = new Uint8Array(await (await fetch(url, { headers: headers() })).arrayBuffer());
    expect([...tailBytes]).toEqual([...full.subarray(full.length - 100)]);
    const again = new Uint8Array(await (await fetch(url, { headers: headers() })).arrayBuffer());
    expect(Buffer.compare(again, full)).toBe(0);
    const cuts = [0, 777, Math.floor(full.length / 3), full.length - 260, full.length];
    const pieces: Uint8Array[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const res = await fetch(url, {
        headers: { ...headers(), range: `bytes=${cuts[i]}-${cuts[i + 1]! - 1}` },
      });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${cuts[i]}-${cuts[i + 1]! - 1}/${full.length}`);
      pieces.push(new Uint8Array(await res.arrayBuffer()));
    }
    expect(Buffer.compare(Buffer.concat(pieces), full)).toBe(0);
    // and the original export kept its bytes across requests too
    const first = new Uint8Array(
      await (await fetch(signedUrl(T0 + 1, T0 + 7), { headers: headers() })).arrayBuffer(),
    );
    expect(Buffer.compare(first, whole)).toBe(0);
  });

  test("the box's key is made once: a restarted keeper signs with the same certificate", async () => {
    const before = readFileSync(join(app.config.dataDir, "evidence/box-cert.pem"), "utf8");
    expect(existsSync(join(app.config.dataDir, "evidence/box-key.pem"))).toBe(true);
    await keeper.stop(app);
    app = await keeper.start(app.config);
    const res = await fetch(`${app.url}/api/evidence/certificate`, { headers: headers() });
    expect((await res.text()).trim()).toBe(before.trim());
  });
});

describe("sealed hours (docs/evidence.md#sealed-hours)", () => {
  const HOUR = 3600;
  const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;
  const verifySeals = () =>
    runTool([BUN, join(ROOT, "src/main.ts"), "verify", "--seals", "--config", app.config.source]);
  const seals = () =>
    app.db.$client.query("SELECT camera, hour, kind, body, hash FROM seals ORDER BY id").all() as {
      camera: string;
      hour: number;
      kind: string;
      body: string;
      hash: string;
    }[];

  test("an hour that can no longer change is sealed: its segments listed with their hashes, chained, signed; the check says so", async () => {
    const rows = recordingRows(app.db);
    await app.sealer.pass(hourOf(T0) + 2 * HOUR);
    const made = seals().filter((s) => s.hour === hourOf(T0));
    expect(made).toHaveLength(1);
    const body = JSON.parse(made[0]!.body);
    expect(body.kind).toBe("hour");
    expect(body.segments).toEqual(
      rows
        .filter((r) => hourOf(r.start_time) === hourOf(T0))
        .map((r) => [r.start_time, r.end_time, r.segment_size, r.sha256]),
    );
    // The hours after it follow, each naming the one before; an hour not yet over is not sealed.
    const all = seals();
    for (let i = 1; i < all.length; i++) expect(JSON.parse(all[i]!.body).previous).toBe(all[i - 1]!.hash);
    expect(Math.max(...all.map((s) => s.hour))).toBeLessThan(hourOf(T0) + 2 * HOUR - HOUR);
    const r = await verifySeals();
    expect(r.out).toContain(
      `gate: ${all.length} seals, ${rows.length} segments sealed: ${rows.length} stored as sealed`,
    );
    expect(r.code).toBe(0);
  });

  test("a signed clip's frames are shown to be those sealed at recording time (verify FILE --seals); a damaged stored segment is found", async () => {
    const res = await fetch(signedUrl(T0 + 1, T0 + 7, "sealed"), { headers: headers() });
    const file = join(tempDir(), "clip.mp4");
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    const check = () =>
      runTool([BUN, join(ROOT, "src/main.ts"), "verify", file, "--seals", "--config", app.config.source]);
    let r = await check();
    expect(r.out).toContain("recorded by camera gate between");
    expect(r.out).toContain("unaltered: its frames are those of 4 stored segments");
    expect(r.code).toBe(0);
    const stored = recordingRows(app.db)[1]!.path;
    const original = readFileSync(stored);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 100]! ^= 0x01;
    writeFileSync(stored, damaged);
    r = await check();
    expect(r.err).toContain("its bytes are not those hashed when it was stored");
    expect(r.code).toBe(1);
    writeFileSync(stored, original);
  });

  test("a segment stored late into a sealed hour makes an amendment, chained after", async () => {
    const late = hourOf(T0) + 1800 + 7; // (within the sealed hour, apart from the others)
    cameraSegment(join(app.config.cacheDir, segmentName("gate", late)), { seconds: 2, n: 9 });
    await until(
      () => recordingRows(app.db).some((r) => Math.abs(r.start_time - late) < 1.5),
      30_000,
      "the late segment stored",
    );
    await app.sealer.pass(hourOf(T0) + 2 * HOUR);
    // (the keeper's own minute may have made it, and sealed a later hour since: found by its hour)
    const all = seals().filter((s) => s.camera === "gate");
    const at = all.findLastIndex((s) => s.kind === "amendment" && s.hour === hourOf(T0));
    expect(at).toBeGreaterThan(0);
    const amendment = all[at]!;
    expect(JSON.parse(amendment.body).segments).toHaveLength(1);
    expect(JSON.parse(amendment.body).segments[0][0]).toBeCloseTo(late, 0);
    expect(JSON.parse(amendment.body).previous).toBe(all[at - 1]!.hash);
    const r = await verifySeals();
    expect(r.code).toBe(0);
  });

  test("footage a rule deleted stays listed, and is said to be deleted by that rule; footage gone otherwise is missing", async () => {
    const { deleteRecordingsAndFiles } = await import("../src/cleanup/delete.ts");
    const { deleteRecordingsByRowid } = await import("../src/db/recordings.ts");
    const rows = app.db.$client
      .query("SELECT rowid, * FROM recordings ORDER BY start_time")
      .all() as (ReturnType<typeof recordingRows>[number] & { rowid: number })[];
    deleteRecordingsAndFiles([rows[0]!], new Set(), {
      rule: "expiry",
      db: app.db,
      deleteRows: (gone) => deleteRecordingsByRowid(app.db, gone),
    });
    let r = await verifySeals();
    expect(r.out).toContain("1 deleted by expiry");
    expect(r.out).toContain("0 missing");
    expect(r.code).toBe(0);
    app.db.$client.run("DELETE FROM recordings WHERE id = ?", [rows[1]!.id]); // behind every rule's back
    r = await verifySeals();
    expect(r.out).toContain("1 missing");
    expect(r.code).toBe(1);
  });

  test("an edited seal, or an edited hash in the index, is found", async () => {
    const victim = seals()[0]!;
    const edited = victim.body.replace(/"made_at":"[^"]+"/, '"made_at":"2020-01-01T00:00:00.000Z"');
    app.db.$client.run("UPDATE seals SET body = ? WHERE hash = ?", [edited, victim.hash]);
    let r = await verifySeals();
    expect(r.out).toContain("its hash is not its body's");
    expect(r.code).toBe(1);
    app.db.$client.run("UPDATE seals SET body = ? WHERE hash = ?", [victim.body, victim.hash]);
    const row = recordingRows(app.db)[0]!;
    app.db.$client.run("UPDATE recordings SET sha256 = ? WHERE id = ?", ["0".repeat(64), row.id]);
    r = await verifySeals();
    expect(r.out).toContain("1 altered");
    expect(r.code).toBe(1);
  });
});

describe("the scrub (docs/evidence.md#the-scrub)", () => {
  const scrubKeeper = keepers();
  let box: App;
  let nas: string;
  const flip = (path: string, at = 2000) => {
    const bytes = readFileSync(path);
    bytes[at]! ^= 0x10;
    writeFileSync(path, bytes);
  };
  const verifyArchive = () =>
    runTool([BUN, join(ROOT, "src/main.ts"), "verify", "--archive", "--config", box.config.source]);

  beforeAll(async () => {
    const d = tempDir();
    nas = join(d, "nas");
    mkdirSync(nas);
    const yaml = `api: { listen: 127.0.0.1:0 }\nstorage: { tiers: [ { name: nas, path: ${nas}, copy: true } ] }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  yard: {}\n`;
    box = await scrubKeeper.start(configIn(d, yaml));
    writeFileSync(box.config.source, `data_dir: ${d}\n${yaml}`);
    mkdirSync(box.config.cacheDir, { recursive: true });
    for (let n = 0; n < 3; n++)
      cameraSegment(join(box.config.cacheDir, segmentName("yard", T0 + 2 * n)), { seconds: 2, n });
    await until(
      () => (box.db.$client.query("SELECT count(*) AS n FROM copies").get() as { n: number }).n === 3,
      60_000,
      "the segments stored and copied to the NAS",
    );
  }, 90_000);

  test("a flipped byte in a stored segment: verify --archive names it; the scrub restores it from the tier copy whose hash matches", async () => {
    const [row] = recordingRows(box.db);
    flip(row!.path);
    const found = await verifyArchive();
    expect(found.code).toBe(1);
    expect(found.out).toContain("1 DAMAGED");
    expect(found.out).toContain(row!.path);
    const report = await box.scrub.run(Number.POSITIVE_INFINITY);
    expect(report).toMatchObject({ checked: 3, mismatches: 1, repaired: 1, quarantined: 0 });
    expect(createHash("sha256").update(readFileSync(row!.path)).digest("hex")).toBe(row!.sha256!);
    expect((await verifyArchive()).code).toBe(0);
  });

  test("with no good copy anywhere, it is quarantined (never kept as good): its row goes, noted as the scrub's, health says so", async () => {
    const rows = recordingRows(box.db);
    const victim = rows[1]!;
    flip(victim.path);
    // The NAS copy damaged too: no good copy left.
    const key = victim.path.slice(box.config.recordingsDir.length + 1);
    flip(join(nas, key));
    const report = await box.scrub.run(Number.POSITIVE_INFINITY);
    expect(report).toMatchObject({ mismatches: 1, repaired: 0, quarantined: 1 });
    expect(recordingRows(box.db).map((r) => r.id)).not.toContain(victim.id);
    expect(existsSync(join(box.config.dataDir, "quarantine", victim.path.split("/").at(-1)!))).toBe(true);
    box.health.refresh();
    const health = await fetch(`${box.url}/healthz`);
    expect(health.status).toBe(503);
    expect(JSON.stringify(await health.json())).toContain("damaged and quarantined");
    const metrics = await (
      await fetch(`${box.url}/metrics`, { headers: { authorization: `Bearer ${box.token}` } })
    ).text();
    expect(metrics).toMatch(/camkeep_scrub_quarantined_total 1\b/);
    const { deletedByRule } = await import("../src/db/seals.ts");
    expect(deletedByRule(box.db, "yard", victim.start_time)?.rule).toBe("scrub (damaged, quarantined)");
  });
});
