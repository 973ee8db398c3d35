import { expect, test } from "bun:test";
import { CommitBatch } from "../src/domain/commit-batch.ts";

// One policy for gathering writes into a transaction (the keeper's store batch, the tiers' verified copies).

test("due once the oldest waited the interval, when 200 wait, or at a stop; taken whole", () => {
  const b = new CommitBatch<string>();
  expect(b.due(100, 5)).toBe(false); // nothing waits
  b.add("a", "first", 100);
  b.add("b", "second", 103);
  expect(b.due(104.9, 5)).toBe(false);
  expect(b.due(104.9, 5, true)).toBe(true); // stopping
  expect(b.due(105, 5)).toBe(true); // the oldest (100) waited 5 s
  expect(b.due(100, 0)).toBe(true); // commit_interval 0: at once
  b.add("a", "first again", 104); // the same key replaces its item and its time
  expect(b.due(105, 5)).toBe(false);
  expect(b.keys()).toEqual(["a", "b"]);
  expect(b.take()).toEqual(["first again", "second"]);
  expect(b.size).toBe(0);
  for (let i = 0; i < 199; i++) b.add(String(i), "x", 100);
  expect(b.full).toBe(false);
  b.add("199", "x", 100);
  expect(b.full).toBe(true);
  expect(b.due(100, 3600)).toBe(true);
  b.delete("199");
  expect(b.has("199")).toBe(false);
  expect(b.due(100, 3600)).toBe(false);
});
