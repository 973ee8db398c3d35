import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { BUN, ROOT, configIn, freePort, tempDir, until } from "./helpers.ts";

/** One keeper per archive (docs/design.md#one-keeper-per-archive), with real processes. */
const TOKEN = "keeper-lock-token-0123456";
const keepers: import("bun").Subprocess[] = [];
afterAll(() => {
  for (const k of keepers) k.kill("SIGKILL");
});

/** `camkeep run` as its own process; what it says is read as it comes (a full pipe would stop it). */
const keeper = (config: string, cwd: string) => {
  const p = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", config], { cwd, stderr: "pipe" });
  keepers.push(p);
  return Object.assign(p, { said: new Response(p.stderr).text() });
};
const recorderPids = (dir: string) => readdirSync(join(dir, "data/run")).sort();

describe("a second keeper on the same archive", () => {
  test("refuses to start, naming the first one's pid, and touches nothing: not its recorder, not its files", async () => {
    const dir = tempDir();
    const port = freePort();
    writeFileSync(
      join(dir, "camkeep.yml"),
      `api: { listen: 127.0.0.1:${port}, token: ${TOKEN} }\ncameras:\n  synth:\n    input: "testsrc2=size=96x64:rate=5"\n    input_args: ["-re", "-f", "lavfi"]\n    output_args: ["-c:v", "libx264", "-preset", "ultrafast", "-g", "5"]\n`,
    );
    const first = keeper(join(dir, "camkeep.yml"), dir);
    const status = async () =>
      (await (
        await fetch(`http://127.0.0.1:${port}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as { cameras: { synth: { recorder: { state: string; restarts: number } } } };
    await until(
      async () => (await status().catch(() => undefined))?.cameras.synth.recorder.state === "recording",
      20_000,
      "the first keeper's recorder",
    );
    const pidsBefore = recorderPids(dir);
    const cacheBefore = readdirSync(join(dir, "data/cache")).length;

    const second = keeper(join(dir, "camkeep.yml"), dir);
    expect(await second.exited).toBe(1);
    const said = await second.said;
    expect(said).toContain(`cannot start: another camkeep (pid ${first.pid}) keeps this archive`);
    // Its recorder runs on, never restarted; its pid files and cache are as they were.
    const after = await status();
    expect(after.cameras.synth.recorder).toMatchObject({ state: "recording", restarts: 0 });
    expect(recorderPids(dir)).toEqual(pidsBefore);
    expect(readdirSync(join(dir, "data/cache")).length).toBeGreaterThanOrEqual(cacheBefore);
    expect(readFileSync(join(dir, "data/camkeep.db.lock"), "utf8").trim()).toBe(String(first.pid));

    // What is safe beside a keeper still works.
    const expire = Bun.spawnSync(
      [BUN, join(ROOT, "src/main.ts"), "expire", "--dry-run", "--config", join(dir, "camkeep.yml")],
      { cwd: dir },
    );
    expect(expire.exitCode).toBe(0);

    // A keeper with its own database but the first one's cache is refused too.
    const other = tempDir();
    writeFileSync(
      join(other, "camkeep.yml"),
      `data_dir: ${other}\ncache_dir: ${join(dir, "data/cache")}\napi: { listen: 127.0.0.1:0 }\n`,
    );
    const third = keeper(join(other, "camkeep.yml"), other);
    expect(await third.exited).toBe(1);
    expect(await third.said).toContain("another camkeep uses this cache folder");

    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  }, 60_000);

  test("a start that fails leaves no lock behind; a stopped keeper neither", async () => {
    const dir = tempDir();
    const config = configIn(dir, "api: { listen: 127.0.0.1:0 }\n");
    writeFileSync(config.database, "not a database");
    await expect(startApp(config)).rejects.toThrow();
    writeFileSync(config.database, "");
    const app = await startApp(config);
    await app.stop();
    const again = await startApp(config);
    await again.stop();
  });
});
