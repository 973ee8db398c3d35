// The few libc calls Bun does not offer, through bun:ffi: each undefined where libc cannot be loaded.

type Libc = { flock(fd: number, op: number): number; _exit(status: number): void };

let libc: Libc | undefined | null;

function load(): Libc | undefined {
  if (libc !== undefined) return libc ?? undefined;
  try {
    const { dlopen } = require("bun:ffi") as typeof import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      flock: { args: ["i32", "i32"], returns: "i32" },
      _exit: { args: ["i32"], returns: "void" },
    });
    libc = lib.symbols as unknown as Libc;
  } catch {
    libc = null; // not glibc: callers fall back
  }
  return libc ?? undefined;
}

const LOCK_EX = 2;
const LOCK_NB = 4;

/** Takes an exclusive advisory lock on an open file or folder, without waiting: true if taken, undefined without libc. */
export function tryLock(fd: number): boolean | undefined {
  const c = load();
  return c ? c.flock(fd, LOCK_EX | LOCK_NB) === 0 : undefined;
}

/** Ends the whole process at once with `status`, from any thread; false without libc. */
export function exitNow(status: number): boolean {
  const c = load();
  if (!c) return false;
  c._exit(status);
  return true;
}
