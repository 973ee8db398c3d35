import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BUN, ROOT } from "./helpers.ts";

const script = `import { logger, setLogLevel } from "${join(ROOT, "src/log/log.ts")}";
const log = logger("t"); log.debug("hidden"); log.info("multi\\nline"); setLogLevel("debug"); log.debug("shown"); log.error("bad");`;

function run(env: Record<string, string>) {
  const p = Bun.spawnSync([BUN, "-e", script], { env: { ...process.env, JOURNAL_STREAM: "", ...env } });
  return p.stderr.toString().trimEnd().split("\n");
}

describe("logs", () => {
  test("under systemd: a syslog priority per line, no timestamp, no colour", () => {
    expect(run({ JOURNAL_STREAM: "8:1234" })).toEqual([
      "<6>INFO  [t] multi | line",
      "<7>DEBUG [t] shown",
      "<3>ERROR [t] bad",
    ]);
  });
  test("piped: one timestamped line per event, no colour codes", () => {
    const lines = run({});
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}\[t\] multi \| line$/);
    expect(lines.join("")).not.toContain("\x1b[");
  });
  test("CAMKEEP_LOG_LEVEL sets the starting level", () => {
    expect(run({ JOURNAL_STREAM: "8:1", CAMKEEP_LOG_LEVEL: "error" })).toEqual([
      "<7>DEBUG [t] shown",
      "<3>ERROR [t] bad",
    ]);
  });
});
