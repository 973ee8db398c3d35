import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BUN,
  ROOT,
  freePort,
  putSegment,
  segmentName,
  startS3,
  tempDir,
  until,
  type S3Server,
} from "../helpers.ts";

/**
 * Footage aging through two tiers at once, as a new user first meets it: a NAS folder for
 * footage older than a day and S3 for footage older than two, with segments of every age fed
 * through the cache. camkeep runs as its own process (as `camkeep run`), so a keeper whose
 * event loop stops shows as requests that go unanswered, not as a test runner that hangs.
 */

const DAY = 86_400;
const servers: S3Server[] = [];
const keepers: import("bun").Subprocess[] = [];
afterAll(async () => {
  for (const k of keepers) k.kill("SIGKILL");
  for (const s of servers) await s.kill();
});

/** Answers within `ms`, or undefined: a keeper that stopped answering. */
async function answer(url: string, ms: number): Promise<Response | undefined> {
  return await fetch(url, { signal: AbortSignal.timeout(ms) }).catch(() => undefined);
}

const files = (dir: string) =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".mp4"))
    .sort();

describe("footage aging through a folder tier and an S3 tier", () => {
  test("segments of every age reach their tier, each once; nothing is left to discard; the keeper answers throughout", async () => {
    const dir = tempDir();
    const s3 = await startS3("camkeep");
    servers.push(s3);
    const port = freePort();
    writeFileSync(
      join(dir, "camkeep.yml"),
      `api: { listen: 127.0.0.1:${port}, token: test-token-0123456789 }
record: { retain: { days: 5 } }
cameras:
  cam: {}
storage:
  tiers:
    - { name: nas, path: ${dir}/nas, after: 1d }
    - { name: offsite, after: 2d, s3: { endpoint: "${s3.endpoint}", bucket: camkeep, access_key_id: S3RVER, secret_access_key: S3RVER } }
`,
    );
    const now = Math.floor(Date.now() / 1000);
    const ages = { offsite: 3 * DAY, nas: 30 * 3600, local: 3600 };
    for (const age of Object.values(ages)) {
      for (let i = 0; i < 3; i++)
        await putSegment(join(dir, "data/cache"), segmentName("cam", now - age + i * 10), 2);
    }
    const keeper = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "camkeep.yml")], {
      cwd: dir,
      stdout: "ignore",
      stderr: "pipe",
    });
    keepers.push(keeper);
    const base = `http://127.0.0.1:${port}`;
    await until(
      async () => (await answer(`${base}/healthz`, 1000)) !== undefined,
      20_000,
      "camkeep to answer",
    ).catch(async (e) => {
      keeper.kill("SIGKILL");
      throw new Error(`${e.message}; it said: ${await new Response(keeper.stderr).text()}`);
    });

    const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
    const where = () =>
      db
        .query("SELECT coalesce(tier, 'local') AS tier, count(*) AS n FROM recordings GROUP BY 1 ORDER BY 1")
        .all();
    const queued = () =>
      db
        .query(
          "SELECT (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM discards) AS discards",
        )
        .get();
    const settled = () =>
      JSON.stringify(where()) ===
        JSON.stringify([
          { tier: "local", n: 3 },
          { tier: "nas", n: 3 },
          { tier: "offsite", n: 3 },
        ]) && JSON.stringify(queued()) === JSON.stringify({ transfers: 0, discards: 0 });
    // Every second: /healthz must answer within a second, whatever the tier worker is doing.
    const slow: number[] = [];
    const deadline = performance.now() + 100_000;
    while (!settled() && performance.now() < deadline) {
      const t0 = performance.now();
      if (!(await answer(`${base}/healthz`, 1000)))
        slow.push(Math.round((performance.now() - deadline + 100_000) / 1000));
      await Bun.sleep(Math.max(0, 1000 - (performance.now() - t0)));
    }
    expect({ unanswered_at_s: slow }).toEqual({ unanswered_at_s: [] });
    expect(where()).toEqual([
      { tier: "local", n: 3 },
      { tier: "nas", n: 3 },
      { tier: "offsite", n: 3 },
    ]);
    expect(queued()).toEqual({ transfers: 0, discards: 0 });
    // Each recording is in one place only: the NAS holds the three of its age, S3 the three oldest.
    const nasKeys = db
      .query("SELECT path FROM recordings WHERE tier = 'nas' ORDER BY path")
      .all()
      .map((r) => (r as { path: string }).path);
    expect(files(join(dir, "nas"))).toEqual(nasKeys);
    const s3Objects = readdirSync(join(s3.dir, "camkeep"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".mp4._S3rver_object"));
    expect(s3Objects.length).toBe(3);
    expect(files(join(dir, "data/recordings")).length).toBe(3);
    // Every recording plays from where it lives.
    const ids = db.query("SELECT id FROM recordings").all() as { id: string }[];
    for (const { id } of ids) {
      const res = await fetch(`${base}/api/recordings/${id}/file`, {
        headers: { authorization: "Bearer test-token-0123456789" },
      });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    db.close();
    keeper.kill("SIGTERM");
    expect(await keeper.exited).toBe(0);
  }, 150_000);
});
