import type { Db } from "../db/open.ts";
import { dropLostTierRows, forgetCopy, tierEntriesAfter, type TierEntry } from "../db/tiers.ts";
import { logger } from "../log/log.ts";
import type { TierTarget } from "./target.ts";

// A folder tier compared with the index at start.

const log = logger("tiers");

/**
 * Start-up reconcile of a tier that can say what it holds (a folder), as storage's own
 * (docs/design.md#crash-safety): rows and copies whose file the tier does not hold are lies —
 * rows read from a copy elsewhere or removed, copies forgotten and made again. A file at a time
 * (a share may be slow); nothing is changed if the tier cannot be used, cannot say, or lacks most
 * of them (the wrong share mounted?).
 */
export async function compareTierWithIndex(
  deps: { db: Db; nowS: () => number; stopped: () => boolean },
  name: string,
  target: TierTarget,
): Promise<void> {
  const { db } = deps;
  if (!target.exists || (await target.probe())) return;
  const lost: TierEntry[] = [];
  let checked = 0;
  for (
    let after = "", page: TierEntry[];
    !deps.stopped() && (page = tierEntriesAfter(db, name, after, 500)).length;
    after = page.at(-1)!.key
  ) {
    for (const entry of page) {
      const there = await target.exists(entry.key);
      if (there === undefined)
        return log.warn(
          `tier ${name}: could not compare it with the index (${entry.key} unanswered); changing nothing`,
        );
      checked++;
      if (!there) lost.push(entry);
    }
  }
  if (deps.stopped() || !lost.length) return;
  if (lost.length > checked / 2) {
    log.error(
      `tier ${name}: ${lost.length} of ${checked} files the index points at are missing: changing nothing (the wrong share mounted?)`,
    );
    return;
  }
  const { gone, repointed } = dropLostTierRows(
    db,
    name,
    lost.filter((e) => e.kind === "row"),
  );
  const copies = lost.filter((e) => e.kind === "copy");
  for (const c of copies) forgetCopy(db, c.id, name, c.key, deps.nowS());
  log.warn(
    `tier ${name}: files it no longer holds — ${repointed} recordings now read from their copy elsewhere, ${gone.length} removed from the index; ${copies.length} lost copies to be made again`,
  );
}
