import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { openDb } from "../src/db/open.ts";
import { claimVolume } from "../src/storage/volume.ts";
import { md5Hex } from "../src/tiers/target.ts";
import {
  BUN,
  ROOT,
  ffprobeDuration,
  putSegment,
  rollupsAndTruth,
  segmentName,
  storedSegment,
  tempDir,
  until,
} from "./helpers.ts";

/**
 * docs/design.md#crash-safety: power can fail at any instant. The keeper is killed with SIGKILL at each step of a
 * store, then restarted; afterwards every kept segment must be in storage exactly once with a
 * row, no row may lack its file, no temporary or truncated file may be indexed, and no cache
 * segment that should be kept may be gone.
 */
const STEPS = ["after-copy", "after-rename", "after-row", "after-unlink"] as const;
const SEGMENTS = 3;

/**
 * What the first pass leaves behind when killed at each step: [temp files, stored files, rows,
 * cache files]. A pass places each segment's copy (copy, rename), then indexes all it placed
 * in one transaction, then removes their cache files.
 */
const LEFT_AT: Record<(typeof STEPS)[number], [number, number, number, number]> = {
  "after-copy": [1, 0, 0, SEGMENTS],
  "after-rename": [0, 1, 0, SEGMENTS],
  "after-row": [0, SEGMENTS, SEGMENTS, SEGMENTS],
  "after-unlink": [0, SEGMENTS, SEGMENTS, SEGMENTS - 1],
};

function state(dir: string): [number, number, number, number] {
  const storage = files(join(dir, "data/recordings"));
  const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
  const { n } = db.query("SELECT count(*) AS n FROM recordings").get() as { n: number };
  db.close();
  return [
    storage.filter((f) => f.endsWith(".tmp")).length,
    storage.filter((f) => f.endsWith(".mp4")).length,
    n,
    readdirSync(join(dir, "data/cache")).length,
  ];
}

/** `camkeep run`; with a step, the same keeper killed right after that step of a store. */
function startKeeper(dir: string, crashAt?: string) {
  const config = join(dir, "camkeep.yml");
  const cmd = crashAt
    ? [BUN, join(ROOT, "test/fixtures/crashing-keeper.ts"), config, crashAt]
    : [BUN, join(ROOT, "src/main.ts"), "run", "--config", config];
  return Bun.spawn(cmd, { cwd: dir, stderr: "pipe", env: { ...process.env, CAMKEEP_LOG_LEVEL: "debug" } });
}

const files = (dir: string) => readdirSync(dir, { recursive: true }).map(String);

describe("stopping stores the cache (docs/design.md#crash-safety)", () => {
  test("segments fed just before a SIGTERM are all stored and indexed; the cache keeps no closed segment", async () => {
    const dir = tempDir();
    // The default max_latency (60 s) keeps these recent segments waiting: only a stop stores them now.
    writeFileSync(
      join(dir, "camkeep.yml"),
      "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 } }\ncameras:\n  front-door: {}\n",
    );
    const now = Math.floor(Date.now() / 1000);
    const starts = Array.from({ length: 5 }, (_, i) => now - 12 + i * 2);
    for (const s of starts)
      await putSegment(join(dir, "data/cache"), segmentName("front-door", s), 2, (s + 2) * 1000);
    const keeper = startKeeper(dir);
    const log = keeper.stderr.getReader();
    let said = "";
    await until(
      async () =>
        (said += new TextDecoder().decode((await log.read()).value ?? new Uint8Array())).includes("running"),
      15_000,
      "camkeep to start",
    );
    keeper.kill("SIGTERM"); // at once: no pass has had reason to store anything yet
    expect(await keeper.exited).toBe(0);
    expect(readdirSync(join(dir, "data/cache"))).toEqual([]);
    const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
    const rows = db.query("SELECT start_time, unjudged FROM recordings ORDER BY start_time").all() as {
      start_time: number;
      unjudged: number;
    }[];
    db.close();
    expect(rows.map((r) => r.start_time)).toEqual(starts);
    expect(rows.every((r) => r.unjudged === 1)).toBe(true); // their activity could not be known yet: said so
  });
});

describe("crash safety (docs/design.md#crash-safety)", () => {
  for (const step of STEPS) {
    for (const round of [1, 2]) {
      test(`SIGKILL ${step}, then restart (round ${round})`, async () => {
        const dir = tempDir();
        writeFileSync(
          join(dir, "camkeep.yml"),
          "api: { listen: 127.0.0.1:0 }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0 } }\ncameras:\n  front-door: {}\n",
        );
        const now = Math.floor(Date.now() / 1000);
        const starts = Array.from({ length: SEGMENTS }, (_, i) => now - 300 + i * 2);
        for (const s of starts)
          await putSegment(join(dir, "data/cache"), segmentName("front-door", s), 2, (s + 2) * 1000);

        const crashed = startKeeper(dir, step);
        await crashed.exited;
        expect(crashed.signalCode).toBe("SIGKILL");
        expect(state(dir)).toEqual(LEFT_AT[step]);

        const keeper = startKeeper(dir);
        const cache = join(dir, "data/cache");
        await until(() => readdirSync(cache).length === 0, 15_000, "the restarted keeper to empty the cache");
        keeper.kill("SIGTERM");
        expect(await keeper.exited).toBe(0);

        expect(readdirSync(cache)).toEqual([]); // nothing left behind, nothing lost (checked below)
        const storage = join(dir, "data/recordings");
        const stored = files(storage)
          .filter((f) => f.endsWith(".mp4"))
          .map((f) => join(storage, f))
          .sort();
        expect(files(storage).filter((f) => f.endsWith(".tmp"))).toEqual([]);
        const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
        const rows = db
          .query("SELECT path, start_time, duration FROM recordings ORDER BY start_time")
          .all() as { path: string; start_time: number; duration: number }[];
        db.close();
        expect(rows.map((r) => r.start_time)).toEqual(starts); // each kept segment exactly once
        expect(rows.map((r) => r.path).sort()).toEqual(stored); // every row has its file, every file its row
        for (const r of rows) expect(await ffprobeDuration(r.path)).toBeCloseTo(r.duration, 1); // none truncated
        const after = openDb(join(dir, "data/camkeep.db"));
        const { rollups, truth } = rollupsAndTruth(after); // the hourly rollups are exact after the crash too
        after.$client.close(true);
        expect(rollups).toEqual(truth);
      });
    }
  }
});

/**
 * docs/tiers.md: a transfer to a storage tier killed at each step. Afterwards every recording must
 * have exactly one row pointing at a complete copy; once restarted, each is moved exactly once,
 * its local file gone, no temporary file left in the tier.
 */
const TRANSFER_STEPS = ["after-upload", "after-verify", "after-commit", "after-source-removed"] as const;
/** [rows pointing at the NAS, local files, NAS files] when killed at each step (one transfer at a time). */
const TRANSFER_LEFT_AT: Record<(typeof TRANSFER_STEPS)[number], [number, number, number]> = {
  "after-upload": [0, 2, 1],
  "after-verify": [0, 2, 1],
  "after-commit": [1, 2, 1],
  "after-source-removed": [1, 1, 1],
};

describe("crash safety of moves to a tier (docs/tiers.md)", () => {
  for (const step of TRANSFER_STEPS) {
    test(`SIGKILL ${step}, then restart`, async () => {
      const dir = tempDir();
      const [root, nas] = [join(dir, "data/recordings"), join(dir, "nas")];
      writeFileSync(
        join(dir, "camkeep.yml"),
        `api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0 }\ncameras:\n  cam: {}\nstorage:\n  tiers:\n    - { name: nas, path: ${nas}, after: 1h, concurrency: 1 }\n`,
      );
      const db = openDb(join(dir, "data/camkeep.db"));
      claimVolume(db, root, 0);
      const now = Math.floor(Date.now() / 1000);
      const originals = new Map<number, string>();
      for (const s of [now - 7200, now - 7198])
        originals.set(s, md5Hex(readFileSync(await storedSegment(db, root, "cam", s, { copy: true }))));
      db.$client.close(true);

      const crashed = startKeeper(dir, `transfer:${step}`);
      const said = await new Response(crashed.stderr).text();
      await crashed.exited;
      expect({ signal: crashed.signalCode, said: crashed.signalCode === "SIGKILL" ? "" : said }).toEqual({
        signal: "SIGKILL",
        said: "",
      });
      const rowsNow = () => {
        const d = new Database(join(dir, "data/camkeep.db"), { readonly: true });
        const rows = d.query("SELECT path, tier, start_time FROM recordings ORDER BY start_time").all() as {
          path: string;
          tier: string | null;
          start_time: number;
        }[];
        d.close();
        return rows;
      };
      const mp4s = (folder: string) => files(folder).filter((f) => f.endsWith(".mp4"));
      // Every row points at a complete copy, whatever the step.
      const copyOf = (r: { path: string; tier: string | null }) =>
        r.tier === null ? r.path : join(nas, r.path);
      for (const r of rowsNow()) expect(md5Hex(readFileSync(copyOf(r)))).toBe(originals.get(r.start_time)!);
      expect([rowsNow().filter((r) => r.tier === "nas").length, mp4s(root).length, mp4s(nas).length]).toEqual(
        TRANSFER_LEFT_AT[step],
      );

      const keeper = startKeeper(dir);
      await until(
        () => rowsNow().every((r) => r.tier === "nas") && mp4s(root).length === 0,
        20_000,
        "the restarted keeper to finish the moves",
      );
      keeper.kill("SIGTERM");
      expect(await keeper.exited).toBe(0);
      const rows = rowsNow();
      expect(rows.map((r) => r.start_time)).toEqual([...originals.keys()]); // each exactly once
      for (const r of rows) expect(md5Hex(readFileSync(copyOf(r)))).toBe(originals.get(r.start_time)!);
      expect(mp4s(nas).length).toBe(2);
      expect(files(nas).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    }, 60_000);
  }
});
