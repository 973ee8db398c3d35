import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

test("the project typechecks under strict TypeScript, with no unused locals", () => {
  const p = Bun.spawnSync([join(ROOT, "node_modules/.bin/tsc"), "--noEmit", "-p", ROOT]);
  expect(p.stdout.toString() + p.stderr.toString()).toBe("");
  expect(p.exitCode).toBe(0);
});

test("the code is formatted as biome.json says (110 columns): npx biome format --write . fixes it", () => {
  const p = Bun.spawnSync([join(ROOT, "node_modules/.bin/biome"), "format", "--reporter=summary", "."], {
    cwd: ROOT,
  });
  expect({
    exit: p.exitCode,
    said: p.exitCode === 0 ? "" : p.stdout.toString() + p.stderr.toString(),
  }).toEqual({ exit: 0, said: "" });
});
