import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Flush a file's data to the disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A rename or unlink is durable only once its directory is flushed too. */
export const fsyncDir = fsyncPath;

/** mkdir -p (mode 0750: footage is not for other users), flushing the parent of every directory it created so they survive power loss. */
export function mkdirDurable(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o750 });
  if (first === undefined) return;
  const stop = dirname(first);
  for (let d = dir; d !== stop; d = dirname(d)) fsyncDir(dirname(d));
}

/** A small file written whole or not at all: a temporary name with `mode`, flushed, renamed, its folder flushed. */
export function writeFileDurable(path: string, text: string, mode: number): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, text, { mode });
  chmodSync(temp, mode); // (the umask may have taken bits away, or left a temp of an earlier try)
  fsyncPath(temp);
  renameSync(temp, path);
  fsyncDir(dirname(path));
}
