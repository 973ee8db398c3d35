import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

/** Each rule has one home: lower layers never reach up into the keeper's loop. */
const importsOf = (folder: string) =>
  readdirSync(join(ROOT, "src", folder), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...readFileSync(join(ROOT, "src", folder, f), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => ({ file: `${folder}/${f}`, from: m[1]! })));

test("src/domain depends on nothing but itself", () => {
  expect(importsOf("domain").filter((i) => !i.from.startsWith("./"))).toEqual([]);
});

test("db, storage and cleanup import no module of record/", () => {
  const up = ["db", "storage", "cleanup"].flatMap(importsOf).filter((i) => i.from.includes("/record/"));
  expect(up).toEqual([]);
});
