import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { protectDisk } from "../src/cleanup/disk.ts";
import { runExpiry } from "../src/cleanup/expire.ts";
import { enforceQuotas } from "../src/cleanup/quotas.ts";
import {
  BUN,
  cameraSegment,
  configIn,
  keepers,
  ROOT,
  recordingRows,
  segmentName,
  tempDir,
  runTool,
  until,
} from "./helpers.ts";

/**
 * Cases (docs/evidence.md#cases): spans on several cameras with a note, held against every rule
 * that deletes footage (real expiry, quota and disk protection runs on a real keeper's index),
 * exported as one tar whose clips and manifest verify with camkeep and openssl.
 */
const keeper = keepers();
const T0 = Math.floor(Date.now() / 1000) - 2 * 3600;
let app: App;
const headers = () => ({ authorization: `Bearer ${app.token}`, "content-type": "application/json" });
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${app.url}${path}`, { ...init, headers: headers() });

beforeAll(async () => {
  const dir = tempDir();
  const yaml =
    "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, events: { pre_capture: 0, post_capture: 0 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  door: {}\n  yard: {}\n";
  app = await keeper.start(configIn(dir, yaml));
  writeFileSync(app.config.source, `data_dir: ${dir}\n${yaml}`); // for the commands run beside it
  mkdirSync(app.config.cacheDir, { recursive: true });
  for (const camera of ["door", "yard"])
    for (let n = 0; n < 6; n++)
      cameraSegment(join(app.config.cacheDir, segmentName(camera, T0 + 2 * n)), {
        seconds: 2,
        n,
        audio: true,
      });
  await until(() => recordingRows(app.db).length === 12, 60_000, "the keeper to store the segments");
}, 90_000);

let caseId: string;

describe("the cases API", () => {
  test("a case is made of spans on several cameras with a note; a camera that does not exist is refused", async () => {
    const bad = await api("/api/cases", {
      method: "POST",
      body: JSON.stringify({ title: "x", spans: [{ camera: "garage", start: T0, end: T0 + 4 }] }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("no camera garage");
    const res = await api("/api/cases", {
      method: "POST",
      body: JSON.stringify({
        title: "Bike theft",
        note: "reported to the police, ref 2026-1234",
        spans: [{ camera: "door", start: T0 + 1, end: T0 + 5 }],
      }),
    });
    expect(res.status).toBe(201);
    const made = await res.json();
    caseId = made.id;
    expect(made.spans).toHaveLength(1);
    const changed = await (
      await api(`/api/cases/${caseId}`, {
        method: "PATCH",
        body: JSON.stringify({ add_spans: [{ camera: "yard", start: T0 + 3, end: T0 + 7 }] }),
      })
    ).json();
    expect(changed.spans.map((s: { camera: string }) => s.camera).sort()).toEqual(["door", "yard"]);
    expect((await (await api("/api/cases")).json()).map((c: { id: string }) => c.id)).toEqual([caseId]);
  });
});

describe("footage in an open case is never deleted", () => {
  const held = () =>
    recordingRows(app.db).filter((r) =>
      r.camera === "door"
        ? r.end_time > T0 + 1 && r.start_time < T0 + 5
        : r.end_time > T0 + 3 && r.start_time < T0 + 7,
    );

  test("by expiry, a quota or disk protection; the rest goes, and when only the case is left the disk protection says so", async () => {
    const inCase = held()
      .map((r) => r.id)
      .sort();
    expect(inCase.length).toBeGreaterThanOrEqual(4);
    // A quota of one byte: everything would go but the case.
    app.config.cameras.door!.record.max_size = 1;
    app.config.cameras.yard!.record.max_size = 1;
    await enforceQuotas(app.config, app.db);
    app.config.cameras.door!.record.max_size = undefined;
    app.config.cameras.yard!.record.max_size = undefined;
    // Expiry ten days on: beyond every retention.
    await runExpiry({ config: app.config, db: app.db, now: T0 + 10 * 86_400 });
    // Disk protection with the disk always full.
    const disk = await protectDisk({ config: app.config, db: app.db, free: () => 0, threshold: 1e12 });
    expect(
      recordingRows(app.db)
        .map((r) => r.id)
        .sort(),
    ).toEqual(inCase);
    expect(disk?.onlyKeptForeverLeft).toBe(true);
  });

  test("a closed case holds nothing any more", async () => {
    // (closed and opened again: the footage still held by the open case is the same)
    await api(`/api/cases/${caseId}`, { method: "PATCH", body: JSON.stringify({ closed: true }) });
    const { eventsNear } = await import("../src/db/events.ts");
    expect(eventsNear(app.db, "door", T0, T0 + 10, { pre_capture: 0, post_capture: 0 })).toEqual([]);
    await api(`/api/cases/${caseId}`, { method: "PATCH", body: JSON.stringify({ closed: false }) });
    expect(eventsNear(app.db, "door", T0, T0 + 10, { pre_capture: 0, post_capture: 0 })).toHaveLength(1);
  });
});

/** The manifest's signature checked as VERIFY.txt says, with openssl. */
const checkManifest = (dir: string) =>
  runTool(
    [
      ...["openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:20"],
      ...[
        "-sigopt",
        "rsa_mgf1_md:sha256",
        "-verify",
        "public.pem",
        "-signature",
        "manifest.sig",
        "manifest.json",
      ],
    ],
    dir,
  );

describe("a case exported as one file", () => {
  test("a tar of known length: each span a signed clip that verifies, a manifest whose signature openssl accepts and whose hashes are the clips'", async () => {
    const res = await api(`/api/cases/${caseId}/export.tar`);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    const work = tempDir();
    writeFileSync(join(work, "case.tar"), bytes);
    const untar = await runTool(["tar", "-xf", "case.tar"], work);
    expect(untar.err).toBe("");
    const dir = join(work, `case-${caseId}`);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith("-signed.mp4"))).toHaveLength(2);
    expect(files).toEqual(
      expect.arrayContaining(["manifest.json", "manifest.sig", "certificate.pem", "VERIFY.txt"]),
    );
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    for (const clip of manifest.clips) {
      const verify = await runTool([BUN, join(ROOT, "src/main.ts"), "verify", join(dir, clip.file)]);
      expect(verify.code).toBe(0);
      expect(
        createHash("sha256")
          .update(readFileSync(join(dir, clip.file)))
          .digest("hex"),
      ).toBe(clip.sha256);
    }
    expect(manifest.case.note).toBe("reported to the police, ref 2026-1234");
    // The manifest's signature, as VERIFY.txt says to check it.
    await runTool(["sh", "-c", "openssl x509 -in certificate.pem -noout -pubkey > public.pem"], dir);
    const check = await checkManifest(dir);
    expect(check.out).toContain("Verified OK");
    writeFileSync(
      join(dir, "manifest.json"),
      readFileSync(join(dir, "manifest.json"), "utf8").replace("ref 2026-1234", "ref 2026-9999"),
    );
    const tampered = await checkManifest(dir);
    expect(tampered.out).not.toContain("Verified OK");
  });
});

describe("the audit log (docs/evidence.md#the-audit-log)", () => {
  const auditVerify = () =>
    runTool([BUN, join(ROOT, "src/main.ts"), "audit", "verify", "--config", app.config.source]);

  test("holds what happened: the configuration loaded, the case made, changed and exported, the quota's deletions, exports and views", async () => {
    await api(`/api/cameras/door/vod.m3u8?start=${T0}&end=${T0 + 10}`);
    await api(`/api/cameras/door/clip.mp4?start=${T0}&end=${T0 + 4}&signed=1&note=for%20the%20insurer`);
    await api("/api/login", { method: "POST", body: JSON.stringify({ token: "not the token at all" }) });
    const entries = (await (await api("/api/audit")).json()) as {
      action: string;
      actor: string;
      detail: string;
    }[];
    const actions = entries.map((e) => e.action);
    expect(actions[0]).toBe("configuration loaded");
    expect(actions).toEqual(
      expect.arrayContaining([
        "case created",
        "case changed",
        "case exported",
        "deleted by rule",
        "footage viewed",
        "signed export",
        "failed login",
      ]),
    );
    const deleted = entries.find((e) => e.action === "deleted by rule")!;
    expect(deleted.actor).toBe("camkeep");
    expect(JSON.parse(deleted.detail).rule).toBe("quota");
    const exported = entries.find((e) => e.action === "signed export")!;
    expect(JSON.parse(exported.detail)).toMatchObject({ camera: "door", note: "for the insurer" });
    const r = await auditVerify();
    expect(r.out).toContain("the chain holds");
    expect(r.code).toBe(0);
  });

  test("an edited entry, or one taken out, is found by camkeep audit verify", async () => {
    app.audit.flush();
    const { id, detail } = app.db.$client
      .query("SELECT id, detail FROM audit WHERE action = 'signed export'")
      .get() as {
      id: number;
      detail: string;
    };
    app.db.$client.run("UPDATE audit SET detail = ? WHERE id = ?", [
      detail.replace("insurer", "neighbour"),
      id,
    ]);
    let r = await auditVerify();
    expect(r.out).toContain(`entry ${id}`);
    expect(r.out).toContain("changed after it was written");
    expect(r.code).toBe(1);
    app.db.$client.run("UPDATE audit SET detail = ? WHERE id = ?", [detail, id]);
    expect((await auditVerify()).code).toBe(0);
    app.db.$client.run("DELETE FROM audit WHERE id = ?", [id]);
    r = await auditVerify();
    expect(r.out).toContain("missing");
    expect(r.code).toBe(1);
  });
});
