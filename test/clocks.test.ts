import { expect, test } from "bun:test";
import { SimulatedClocks } from "../src/time/clocks.ts";

// The tests' clocks (docs/design.md#time): time moves only when a test says, sleepers wake in order.

test("advance wakes each sleeper at its time, in order, both clocks moving; step moves the wall clock alone", async () => {
  const clocks = new SimulatedClocks(1_000);
  const life = new AbortController();
  const woke: string[] = [];
  const at = (name: string) => () => woke.push(`${name}@${clocks.monotonic()}/${clocks.now()}`);
  void clocks.sleep(3_000, life.signal).then(at("three"));
  void clocks.sleep(1_000, life.signal).then(at("one"));
  expect(clocks.waiting).toBe(2);
  await clocks.advance(999);
  expect(woke).toEqual([]);
  await clocks.advance(2_500);
  expect(woke).toEqual(["one@1/1001", "three@3/1003"]);
  expect([clocks.monotonic(), clocks.now()]).toEqual([3.499, 1003.499]);
  clocks.step(-3_600); // NTP sets the wall clock back an hour
  expect([clocks.monotonic(), clocks.now()]).toEqual([3.499, -2596.501]);
  // A sleeper woken chains the next wait, which the same advance reaches.
  const chained: number[] = [];
  void (async () => {
    for (let i = 0; i < 3; i++) {
      await clocks.sleep(1_000, life.signal);
      chained.push(clocks.monotonic());
    }
  })();
  await clocks.advance(5_000);
  expect(chained.map((t) => Math.round(t * 1000) / 1000)).toEqual([4.499, 5.499, 6.499]);
  // stop() (abort) ends every wait at once.
  let ended = false;
  void clocks.sleep(60_000, life.signal).then(() => (ended = true));
  life.abort();
  await Promise.resolve();
  expect([ended, clocks.waiting]).toEqual([true, 0]);
});
