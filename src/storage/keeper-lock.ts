import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { tryLock } from "../os/libc.ts";

// One keeper per archive (docs/design.md#one-keeper-per-archive): locks held for the process's life.

/**
 * Locks, for as long as this keeper runs, the file `<database>.lock` (it holds the keeper's pid,
 * for the message a second one gets) and the cache and storage folders themselves (no file is
 * written into them: a lock on a folder's own descriptor). The kernel releases them when the
 * process ends, however it ends. Taken before anything else is touched: a second keeper on the
 * same database, cache or storage refuses to start and changes nothing.
 */
export class KeeperLock {
  private constructor(private readonly fds: number[]) {}

  /** Takes every lock, or none: throws an Error naming what is kept by whom. */
  static acquire(paths: { database: string; cacheDir: string; recordingsDir: string }): KeeperLock {
    const fds: number[] = [];
    const fail = (why: string): never => {
      for (const fd of fds) closeSync(fd);
      throw new Error(why);
    };
    mkdirSync(dirname(paths.database), { recursive: true, mode: 0o750 });
    const pidFile = `${paths.database}.lock`;
    const fd = openSync(pidFile, "a+", 0o640);
    fds.push(fd);
    const taken = tryLock(fd);
    if (taken === false)
      fail(`another camkeep (pid ${holder(pidFile)}) keeps this archive (${paths.database}): stop it first`);
    if (taken === undefined) {
      // No libc to lock with: the pid in the file, if it names a live camkeep, keeps it.
      const pid = Number(holder(pidFile));
      if (pid && pid !== process.pid && alive(pid))
        fail(`another camkeep (pid ${pid}) keeps this archive (${paths.database}): stop it first`);
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    // The cache is camkeep's to make; storage is locked only where it is (it may be a mount point
    // still to be mounted, where nothing is to be made — its volume marker names its database).
    mkdirSync(paths.cacheDir, { recursive: true, mode: 0o750 });
    for (const [what, dir] of [
      ["cache", paths.cacheDir],
      ["storage", paths.recordingsDir],
    ] as const) {
      if (!existsSync(dir)) continue;
      const dirFd = openSync(dir, "r");
      fds.push(dirFd);
      if (tryLock(dirFd) === false)
        fail(
          `another camkeep uses this ${what} folder (${dir}), with another database: stop it, or give each keeper its own folders`,
        );
    }
    return new KeeperLock(fds);
  }

  release(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}

/** The pid written into a lock file, or "unknown". */
function holder(pidFile: string): string {
  try {
    return readFileSync(pidFile, "utf8").trim() || "unknown";
  } catch {
    return "unknown";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
