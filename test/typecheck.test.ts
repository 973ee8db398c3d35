import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

test("the project typechecks under strict TypeScript", () => {
  const p = Bun.spawnSync([join(ROOT, "node_modules/.bin/tsc"), "--noEmit", "-p", ROOT]);
  expect(p.stdout.toString() + p.stderr.toString()).toBe("");
  expect(p.exitCode).toBe(0);
});
