import { afterAll } from "bun:test";
import { LoopWatch } from "../src/health/event-loop.ts";
import { removeTempDirs } from "./helpers.ts";

// Preloaded (bunfig.toml): after every test file has run, remove the folders tests made.
afterAll(removeTempDirs);
// A keeper a test left running keeps its timers and its watchdog in this process for the files
// after it (its watchdog would end the run during a later file's long synchronous work).
afterAll(() => {
  if (LoopWatch.running > 0)
    throw new Error(
      `${LoopWatch.running} keeper(s) left running by the tests: stop every keeper a test starts`,
    );
});
