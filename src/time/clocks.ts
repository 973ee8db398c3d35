import { sleep } from "./sleep.ts";

// The clocks every long-lived part reads (docs/design.md#time): the wall clock, a monotonic one,
// and waits that stop() cuts short — real in camkeep, simulated in the tests that are about time
// (moonfire-nvr's Clocks and SimulatedClocks are the model).

export interface Clocks {
  /** The wall clock, epoch seconds (it can step: NTP, a Pi booting without a real-time clock). */
  now(): number;
  /** Seconds on a clock that never steps, from an arbitrary origin. */
  monotonic(): number;
  /** Resolves after `ms` of this clock, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClocks: Clocks = {
  now: () => Date.now() / 1000,
  monotonic: () => performance.now() / 1000,
  sleep,
};

/**
 * @internal (the tests' clocks)
 * Clocks that move only when told: `advance` moves both and wakes the sleepers it passes, in
 * order; `step` moves the wall clock alone (as NTP does). Nothing waits in real time.
 */
export class SimulatedClocks implements Clocks {
  private wall: number;
  private mono = 0;
  private readonly sleepers: { until: number; wake: () => void }[] = [];

  constructor(wall: number) {
    this.wall = wall;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper = {
        until: this.mono + ms / 1000,
        wake: () => {
          signal.removeEventListener("abort", sleeper.wake);
          const i = this.sleepers.indexOf(sleeper);
          if (i >= 0) this.sleepers.splice(i, 1);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal.addEventListener("abort", sleeper.wake);
    });
  }

  /** Moves both clocks on by `ms`, waking each sleeper whose time comes, and letting it run before the next. */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms / 1000;
    for (;;) {
      const next = this.sleepers.filter((s) => s.until <= end).sort((a, b) => a.until - b.until)[0];
      if (!next) break;
      this.wall += next.until - this.mono;
      this.mono = next.until;
      next.wake();
      for (let i = 0; i < 10; i++) await Promise.resolve(); // the woken one runs on to its next wait
    }
    this.wall += end - this.mono;
    this.mono = end;
  }

  /** Steps the wall clock alone by `seconds` (the monotonic clock does not move). */
  step(seconds: number): void {
    this.wall += seconds;
  }

  /** How many wait now. */
  get waiting(): number {
    return this.sleepers.length;
  }
}
