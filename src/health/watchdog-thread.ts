/**
 * The watchdog thread (event-loop.ts): ends the process once the main thread's heartbeat is
 * older than its orders allow. It shares nothing with the main thread but the heartbeat
 * buffer, and uses nothing that needs the main loop: its writes are synchronous, and it ends
 * the process through libc's _exit, since process.exit in a worker ends only the worker.
 */
import { writeFileSync, writeSync } from "node:fs";
import { monotonicNowMs as nowMs } from "../log/current-job.ts";
import { exitNow } from "../os/libc.ts";
import type { StallRecord, WatchOrders } from "./event-loop.ts";

declare const self: Worker;

function endProcess(status: number): never {
  // process.exit in a worker ends only the worker; without libc, a kill the main thread cannot
  // catch (systemd counts it as a failure too).
  exitNow(status);
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
}

self.onmessage = (event: MessageEvent<WatchOrders>) => {
  const { shared, labelAt, maxStallMs, exitStatus, stallFile, stopped } = event.data;
  const times = new Float64Array(shared, 0, 3);
  const label = new Uint8Array(shared, labelAt, shared.byteLength - labelAt);
  const standDown = new Int32Array(stopped);
  self.postMessage("ready");
  const timer = setInterval(() => {
    if (Atomics.load(standDown, 0) === 1) return clearInterval(timer); // its keeper stopped
    const now = nowMs();
    const stalledMs = now - times[0]!;
    if (stalledMs < maxStallMs) return;
    const record: StallRecord = {
      at: Math.round(Date.now() / 1000),
      stalled_s: Math.round(stalledMs / 1000),
      last_job: new TextDecoder().decode(label.slice(0, times[2]!)) || "(none noted)",
      last_job_began_s_before: Math.round((now - times[1]!) / 1000),
    };
    const line = `ERROR [watchdog] the event loop has not run for ${record.stalled_s} s (health.max_stall ${maxStallMs / 1000} s); the last job that began: ${record.last_job}, ${record.last_job_began_s_before} s before. Ending camkeep (status ${exitStatus}) so that its service manager starts it again.\n`;
    writeSync(2, process.env.JOURNAL_STREAM ? `<3>${line}` : `${new Date().toISOString()} ${line}`);
    try {
      writeFileSync(stallFile, JSON.stringify(record));
    } catch {
      // the record is a courtesy to the next start; ending the stalled process is the job
    }
    endProcess(exitStatus);
  }, 1_000);
};
