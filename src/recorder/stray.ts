import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { logger } from "../log/log.ts";
import { alive } from "../os/process.ts";
import { sleep } from "../time/sleep.ts";

// A recorder left running by a camkeep that was killed outright, found by its pid file and ended.

const log = logger("recorder");

/**
 * A recorder of ours left running by a camkeep that was killed outright (its own session keeps it
 * alive) would write the camera's segments twice: end it before starting anew — as stopping ends
 * one, SIGINT first, so the segment it is writing closes as a valid file (and is stored), SIGKILL
 * only if it does not end within `timeoutMs`. Only a process whose command line writes `output` is
 * ended (a pid may have been reused). Stopped meanwhile (`signal`): it has its SIGINT, and its pid
 * file stays for the next start to finish the job.
 */
export async function reapStray(
  camera: string,
  pidFile: string,
  output: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  mkdirSync(dirname(pidFile), { recursive: true });
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  if (pid > 0 && alive(pid) && cmdline(pid).includes(output)) {
    log.warn(`${camera}: ending a recorder left running by an earlier camkeep (pid ${pid})`);
    process.kill(pid, "SIGINT");
    const deadline = Date.now() + timeoutMs;
    while (alive(pid) && Date.now() < deadline && !signal.aborted) await sleep(100, signal);
    if (signal.aborted) return;
    if (alive(pid)) {
      log.warn(`${camera}: the earlier recorder (pid ${pid}) did not end on SIGINT; killed`);
      process.kill(pid, "SIGKILL");
    }
  }
  rmSync(pidFile, { force: true });
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}
