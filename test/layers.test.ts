import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

/**
 * The layers of docs/design.md, lowest first: a module may import modules of its own layer and
 * of the layers before it, never of one after it. Every folder of src/ is in the table.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["domain"],
  ["log", "time", "os", "version.ts"],
  ["config"],
  ["db"],
  ["media"],
  ["storage"],
  ["tiers"],
  ["playback"],
  ["evidence"],
  ["archive"],
  ["motion"],
  ["keeper"],
  ["recorder", "onvif"],
  ["cleanup"],
  ["health"],
  ["people"],
  ["api"],
  ["mqtt"],
  ["ui"],
  ["app.ts", "main.ts"],
];
const SRC = join(ROOT, "src");
const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

/** What a module in src/ is part of: its folder, or its own name at the top. */
const partOf = (pathInSrc: string) => pathInSrc.split("/")[0]!;

function imports(): { file: string; from: string; target: string }[] {
  const files = readdirSync(SRC, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  return files.flatMap((file) => {
    const text = readFileSync(join(SRC, file), "utf8");
    return [...text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)].map((m) => {
      const target = join(SRC, file, "..", m[1]!).slice(SRC.length + 1);
      return { file, from: partOf(file), target };
    });
  });
}

test("every folder and top-level module of src/ has a layer", () => {
  const parts = readdirSync(SRC).filter(
    (f) => statSync(join(SRC, f)).isDirectory() || (f.endsWith(".ts") && !f.endsWith(".d.ts")),
  );
  expect(parts.filter((p) => !rank.has(p))).toEqual([]);
});

test("no module imports from a layer above its own", () => {
  const up = imports().filter(({ from, target }) => {
    if (target.startsWith("..")) return from !== "db"; // only db reaches outside src/: the migrations
    return rank.get(partOf(target))! > rank.get(from)!;
  });
  expect(up.map(({ file, target }) => `${file} -> ${target}`)).toEqual([]);
});

test("src/domain depends on nothing but itself, not even a package", () => {
  const text = readdirSync(join(SRC, "domain"))
    .map((f) => readFileSync(join(SRC, "domain", f), "utf8"))
    .join("\n");
  expect(
    [...text.matchAll(/from\s*"([^"]+)"/g)].map((m) => m[1]).filter((from) => !from!.startsWith("./")),
  ).toEqual([]);
});

test("the table is the one in docs/design.md", () => {
  const design = readFileSync(join(ROOT, "docs/design.md"), "utf8");
  const rows = [...design.matchAll(/^\| \d+ \| ([^|]+) \|/gm)].map((m) =>
    [...m[1]!.matchAll(/`([^`]+?)\/?`/g)].map((n) => n[1]),
  );
  expect(rows).toEqual(LAYERS.map((names) => [...names]));
});
