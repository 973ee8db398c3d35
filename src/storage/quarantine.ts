import { copyFileSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { fsyncDir, fsyncPath, mkdirDurable } from "./durable.ts";

/** Where segments that cannot be stored are kept aside, under the data folder. */
export function quarantineDir(dataDir: string): string {
  return join(dataDir, "quarantine");
}

/**
 * Moves a file aside for a person to look at, never deleting it (docs/retention.md): the copy is
 * flushed before the original goes. The cache is often a tmpfs, so it copies rather than
 * renames across volumes. Returns where it went; throws when it could not (the original stays).
 */
export function quarantineFile(path: string, dataDir: string): string {
  const dir = quarantineDir(dataDir);
  mkdirDurable(dir);
  const target = join(dir, basename(path));
  copyFileSync(path, target);
  fsyncPath(target);
  fsyncDir(dir);
  unlinkSync(path);
  return target;
}
