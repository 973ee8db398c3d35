import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { STALL_EXIT_STATUS } from "../src/health/event-loop.ts";
import {
  keepers,
  BUN,
  ROOT,
  configIn,
  freePort,
  putSegment,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

/**
 * The event-loop watchdog (health/event-loop.ts): a loop held for a while is measured and
 * counted; a loop held past health.max_stall ends the process with a status systemd restarts,
 * and the restarted keeper stores what the cache held.
 */
const keeper = keepers();

const TOKEN = "watchdog-test-token-0123";
const get = (url: string) => fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });

describe("the event loop's lag", () => {
  test("a loop held for 1.5 s shows in status and metrics as a stall; the keeper goes on", async () => {
    const app = await keeper.start(configIn(tempDir(), `api: { listen: 127.0.0.1:0, token: ${TOKEN} }\n`));
    const before = (await (await get(`${app.url}/api/status`)).json()) as {
      event_loop: { stalls: number; watched: boolean };
    };
    expect(before.event_loop.watched).toBe(true);
    Bun.sleepSync(1_500); // holds this process's one event loop
    await until(
      () => app.eventLoop.status().stalls > before.event_loop.stalls,
      3_000,
      "the stall to be counted",
    );
    // A heartbeat every 0.5 s sees a hold of 1.5 s as 1.0 to 1.5 s late.
    const status = (await (await get(`${app.url}/api/status`)).json()) as {
      event_loop: { longest_stall_s: number; lag_s: number; max_stall_s: number };
    };
    expect(status.event_loop.longest_stall_s).toBeGreaterThanOrEqual(1);
    expect(status.event_loop.lag_s).toBe(status.event_loop.longest_stall_s);
    expect(status.event_loop.max_stall_s).toBe(60);
    const lag = /^camkeep_event_loop_lag_seconds (\S+)$/m.exec(
      await (await get(`${app.url}/metrics`)).text(),
    );
    expect(Number(lag?.[1])).toBe(status.event_loop.lag_s);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

describe("a loop held past health.max_stall", () => {
  test("a stopped keeper's watchdog stands down at once: a process that goes on and blocks is not ended", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "camkeep.yml"),
      `api: { listen: 127.0.0.1:${freePort()}, token: ${TOKEN} }\nhealth: { max_stall: 5 }\ncameras:\n  cam: {}\n`,
    );
    const p = Bun.spawn(
      [BUN, join(ROOT, "test/fixtures/stalling-keeper.ts"), join(dir, "camkeep.yml"), "0", "stopped", "8"],
      {
        cwd: dir,
        stderr: "pipe",
      },
    );
    const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    expect(err).not.toContain("[watchdog] the event loop has not run");
    expect(code).toBe(0);
  }, 30_000);

  test("ends the process with status 70, naming the job; restarted, the keeper stores what the cache held", async () => {
    const dir = tempDir();
    const port = freePort();
    writeFileSync(
      join(dir, "camkeep.yml"),
      `api: { listen: 127.0.0.1:${port}, token: ${TOKEN} }\nhealth: { max_stall: 5 }\nrecord: { retain: { days: 1 } }\ncameras:\n  cam: {}\n`,
    );
    // Recent segments: they wait in the cache for their activity (max_latency 60 s), so only the
    // restarted keeper's stop stores them.
    const now = Math.floor(Date.now() / 1000);
    const starts = [now - 20, now - 18, now - 16];
    for (const s of starts)
      await putSegment(join(dir, "data/cache"), segmentName("cam", s), 2, (s + 2) * 1000);
    const t0 = performance.now();
    const stalled = Bun.spawn(
      [BUN, join(ROOT, "test/fixtures/stalling-keeper.ts"), join(dir, "camkeep.yml"), "1"],
      { cwd: dir, stderr: "pipe" },
    );
    const exit = await Promise.race([stalled.exited, Bun.sleep(30_000).then(() => "still running")]);
    const said = await new Response(stalled.stderr).text();
    expect(exit).toBe(STALL_EXIT_STATUS);
    expect((performance.now() - t0) / 1000).toBeLessThan(20); // start + 1 s + max_stall 5 s + a check a second
    expect(said).toContain("the last job that began: test: a job that never yields");

    const keeper = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "camkeep.yml")], {
      cwd: dir,
      stderr: "pipe",
    });
    const base = `http://127.0.0.1:${port}`;
    await until(
      async () => (await fetch(`${base}/healthz`).catch(() => undefined)) !== undefined,
      20_000,
      "the restarted keeper to answer",
    );
    const status = (await (await get(`${base}/api/status`)).json()) as {
      event_loop: { previous_run_stalled: { last_job: string; stalled_s: number } | null };
    };
    expect(status.event_loop.previous_run_stalled?.last_job).toBe("test: a job that never yields");
    expect(status.event_loop.previous_run_stalled!.stalled_s).toBeGreaterThanOrEqual(5);
    keeper.kill("SIGTERM");
    expect(await keeper.exited).toBe(0);
    const db = new Database(join(dir, "data/camkeep.db"), { readonly: true });
    expect(db.query("SELECT start_time FROM recordings ORDER BY start_time").all()).toEqual(
      starts.map((s) => ({ start_time: s })),
    );
    db.close();
  }, 60_000);
});
