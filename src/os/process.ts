import { readFileSync } from "node:fs";

// Other processes, as /proc shows them.

/** Is the process there and not a zombie (from /proc/<pid>/stat's state field)? */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
