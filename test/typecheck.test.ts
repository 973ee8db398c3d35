import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

test("the project typechecks under strict TypeScript, with no unused locals", () => {
  const p = Bun.spawnSync([join(ROOT, "node_modules/.bin/tsc"), "--noEmit", "-p", ROOT]);
  expect(p.stdout.toString() + p.stderr.toString()).toBe("");
  expect(p.exitCode).toBe(0);
});

test("the code is formatted as biome.jsonc says (110 columns): npx biome format --write . fixes it", () => {
  const p = Bun.spawnSync([join(ROOT, "node_modules/.bin/biome"), "format", "--reporter=summary", "."], {
    cwd: ROOT,
  });
  expect({
    exit: p.exitCode,
    said: p.exitCode === 0 ? "" : p.stdout.toString() + p.stderr.toString(),
  }).toEqual({ exit: 0, said: "" });
});

/** Runs a tool of node_modules/.bin in the project, and what it said when it failed. */
async function tool(name: string, ...args: string[]): Promise<{ exit: number; said: string }> {
  const p = Bun.spawn([join(ROOT, "node_modules/.bin", name), ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, exit] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { exit, said: exit === 0 ? "" : out + err };
}

test("Biome's linter finds nothing (its recommended rules, less the exceptions biome.jsonc explains)", async () => {
  expect(await tool("biome", "lint", "--error-on-warnings", "--reporter=summary", ".")).toEqual({
    exit: 0,
    said: "",
  });
});

test("no export of src/ is dead or used only by tests (knip --production; @internal marks a test helper on purpose)", async () => {
  expect(await tool("knip", "--production", "--include", "exports,types,files", "--no-progress")).toEqual({
    exit: 0,
    said: "",
  });
}, 60_000);
