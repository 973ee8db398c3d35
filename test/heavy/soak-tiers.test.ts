import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { md5Hex } from "../../src/tiers/target.ts";
import {
  BUN,
  ROOT,
  ffprobeDuration,
  freePort,
  putSegment,
  rollupsAndTruth,
  segmentName,
  startS3,
  tempDir,
  type S3Server,
} from "../helpers.ts";

/**
 * The tier scenario for ten minutes (CAMKEEP_SOAK_S to change it): two cameras record into the
 * cache; footage moves to a NAS folder after a fifth of the run (2 minutes) and to S3 after two
 * fifths, expires after four fifths, and one camera's quota trims it sooner; S3 is killed twice and comes back. The keeper runs as its
 * own process (as `camkeep run`). Throughout, /healthz answers within a second; at the end every
 * recording plays from where it lives, each is in one place only, and nothing is left over.
 * `npm test` runs this beside the rest of the suite (scripts/test.sh): it mostly waits.
 */
const SOAK_S = Number(process.env.CAMKEEP_SOAK_S ?? 600);
const TOKEN = "soak-test-token-0123456789";
const SEGMENT_S = 2;

let s3: S3Server | undefined;
let keeper: import("bun").Subprocess | undefined;
afterAll(async () => {
  keeper?.kill("SIGKILL");
  await s3?.kill();
});

const mp4s = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".mp4"))
        .sort()
    : [];

describe(`footage aging through a NAS folder and S3 for ${SOAK_S} s, with expiry, quotas and two S3 outages`, () => {
  test(
    "/healthz answers within 1 s throughout; every recording plays, each exactly once; no leftovers",
    async () => {
      const dir = tempDir();
      s3 = await startS3("camkeep");
      const port = freePort();
      const nas = join(dir, "nas");
      writeFileSync(
        join(dir, "camkeep.yml"),
        `api: { listen: 127.0.0.1:${port}, token: ${TOKEN} }
record:
  retain: { days: ${(0.8 * SOAK_S) / 86_400} }
  expire_interval: 1
  commit_interval: 10
  events: { max_latency: 5 }
cameras:
  yard: {}
  gate: { record: { max_size: ${Math.round((0.5 * SOAK_S) / SEGMENT_S) * 16} kB } }
storage:
  tiers:
    - { name: nas, path: ${nas}, after: ${0.2 * SOAK_S}s }
    - { name: offsite, after: ${0.4 * SOAK_S}s, s3: { endpoint: "${s3.endpoint}", bucket: camkeep, prefix: soak/, access_key_id: S3RVER, secret_access_key: S3RVER } }
`,
      );
      // Its log into a file: a pipe nobody reads fills (64 KiB) and then blocks the keeper's writes.
      const logFile = join(dir, "keeper.log");
      keeper = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "camkeep.yml")], {
        cwd: dir,
        stdout: "ignore",
        stderr: Bun.file(logFile),
      });
      const base = `http://127.0.0.1:${port}`;
      const answer = (ms: number) =>
        fetch(`${base}/healthz`, { signal: AbortSignal.timeout(ms) }).then(
          () => true,
          () => false,
        );
      for (const end = performance.now() + 20_000; !(await answer(1000)); )
        if (performance.now() > end) throw new Error("camkeep did not start");

      const t0 = performance.now();
      const elapsed = () => (performance.now() - t0) / 1000;
      const outages = [0.3, 0.6].map((f) => f * SOAK_S);
      const unanswered: number[] = [];
      let fed = 0;
      let s3Down = false;
      let nextSegment = Math.floor(Date.now() / 1000) - 10;
      while (elapsed() < SOAK_S) {
        const tick = performance.now();
        // A segment per camera every SEGMENT_S, named as a recorder would (a little in the past).
        for (; nextSegment <= Date.now() / 1000 - 10; nextSegment += SEGMENT_S) {
          for (const camera of ["yard", "gate"])
            await putSegment(
              join(dir, "data/cache"),
              segmentName(camera, nextSegment),
              SEGMENT_S,
              (nextSegment + SEGMENT_S) * 1000,
            );
          fed += 2;
        }
        const outage = outages.find((at) => elapsed() >= at && elapsed() < at + 30);
        if (outage !== undefined && !s3Down) {
          await s3.kill();
          s3Down = true;
        } else if (outage === undefined && s3Down) {
          await s3.restart();
          s3Down = false;
        }
        if (!(await answer(1000))) unanswered.push(Math.round(elapsed()));
        await Bun.sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
      if (s3Down) await s3.restart();
      if (unanswered.length) console.error((await Bun.file(logFile).text()).slice(-4000)); // what it said
      expect({ unanswered_at_s: unanswered }).toEqual({ unanswered_at_s: [] });

      // Stopped the way systemd stops it: what is in the cache is stored, verified copies counted.
      keeper.kill("SIGTERM");
      expect(await keeper.exited).toBe(0);
      const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
      const rows = db.query("SELECT id, camera, tier, path FROM recordings ORDER BY start_time").all() as {
        id: string;
        camera: string;
        tier: string | null;
        path: string;
      }[];
      const byTier = (tier: string | null) =>
        rows
          .filter((r) => r.tier === tier)
          .map((r) => r.path)
          .sort();
      // Footage went everywhere it was meant to: local, the NAS, S3; expiry and the quota deleted some.
      expect(byTier(null).length).toBeGreaterThan(0);
      expect(byTier("nas").length).toBeGreaterThan(0);
      expect(byTier("offsite").length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(fed);
      // Each recording in one place only, and nothing no row points at (a discard still waiting
      // at stop may leave its object: those are named by the queue, and are worked off at start).
      const waiting = db.query("SELECT tier, key FROM discards").all() as { tier: string; key: string }[];
      const waitingIn = (tier: string) => waiting.filter((d) => d.tier === tier).map((d) => d.key);
      const localDir = join(dir, "data/recordings");
      expect(mp4s(localDir).map((f) => join(localDir, f))).toEqual(byTier(null));
      expect(mp4s(nas).filter((k) => !waitingIn("nas").includes(k))).toEqual(byTier("nas"));
      // (s3rver keeps each object as a file "<key>._S3rver_object")
      const objects = readdirSync(join(s3.dir, "camkeep"), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".mp4._S3rver_object"))
        .map((f) => f.replace(/^soak\//, "").replace(/\._S3rver_object$/, ""));
      expect(objects.filter((k) => !waitingIn("offsite").includes(k)).sort()).toEqual(byTier("offsite"));
      expect(db.query("SELECT count(*) AS n FROM copies").get()).toEqual({ n: 0 });
      const { rollups, truth } = rollupsAndTruth({
        $client: db,
      } as unknown as import("../../src/db/open.ts").Db);
      expect(rollups).toEqual(truth);
      db.close();

      // Every recording plays from where it lives, byte for byte what was recorded.
      const again = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "camkeep.yml")], {
        cwd: dir,
        stdout: "ignore",
        stderr: "ignore",
      });
      keeper = again;
      for (const end = performance.now() + 20_000; !(await answer(1000)); )
        if (performance.now() > end) throw new Error("camkeep did not start again");
      // It checks the quota as it starts (a segment of the last minute may have put a camera over
      // it): what it deleted then is no longer a recording to play.
      await Bun.sleep(3000);
      const reopened = new Database(join(dir, "data/camkeep.db"), { readonly: true });
      const kept = new Set(
        (reopened.query("SELECT id FROM recordings").all() as { id: string }[]).map((r) => r.id),
      );
      reopened.close();
      const playable = rows.filter((r) => kept.has(r.id));
      expect(rows.length - playable.length).toBeLessThan(rows.length / 4);
      // Every segment was recorded from one source, so every stored copy (index at the front) is
      // the same bytes: any copy truncated, damaged or missing shows as another digest or status.
      const played: Record<string, number> = {};
      let sample: Uint8Array | undefined;
      for (const r of playable) {
        const res = await fetch(`${base}/api/recordings/${r.id}/file`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = new Uint8Array(await res.arrayBuffer());
        sample ??= body;
        const what = res.status === 200 ? md5Hex(body) : `${r.tier ?? "local"}: ${res.status}`;
        played[what] = (played[what] ?? 0) + 1;
      }
      expect(Object.values(played)).toEqual([playable.length]);
      writeFileSync(join(dir, "sample.mp4"), sample!);
      expect(await ffprobeDuration(join(dir, "sample.mp4"))).toBeCloseTo(SEGMENT_S, 0);
      again.kill("SIGTERM");
      expect(await again.exited).toBe(0);
    },
    (SOAK_S + 240) * 1000,
  );
});
