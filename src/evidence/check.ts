import type { Db } from "../db/open.ts";
import { localHashedAfter } from "../db/scrub.ts";
import { sha256OfFile } from "../media/hash.ts";
import { deletedByRule, sealsAfter, type SealedSegment, storedAt } from "../db/seals.ts";
import type { KeyFor } from "./certificates.ts";
import { checkChain, type SealBody } from "./seal.ts";

// `camkeep verify --seals`: every camera's chain of seals checked, and every segment a seal lists
// looked for in the index; `--archive`: every stored file hashed again (docs/evidence.md).

export interface CameraSeals {
  camera: string;
  seals: number;
  /** Chain and signature problems, in words. */
  problems: string[];
  /** Segments the seals list, and of those: stored as sealed, deleted by a rule (by rule), altered, missing. */
  listed: number;
  stored: number;
  deleted: Record<string, number>;
  altered: number;
  missing: number;
  /** The first few altered or missing segments, named. */
  examples: string[];
}

const PAGE = 200;
/** At most this many segments named per kind of finding (the counts are whole). */
const NAMED = 20;

/** Checks the seals of `cameras` against the certificates the box knows (`keyFor`) and the index. */
export function checkSeals(db: Db, cameras: readonly string[], keyFor: KeyFor): CameraSeals[] {
  return cameras.map((camera) => {
    const report: CameraSeals = {
      camera,
      seals: 0,
      problems: [],
      listed: 0,
      stored: 0,
      deleted: {},
      altered: 0,
      missing: 0,
      examples: [],
    };
    let before: string | null = null;
    for (let after = 0; ; ) {
      const page = sealsAfter(db, camera, after, PAGE);
      if (!page.length) break;
      after = page.at(-1)!.id;
      report.problems.push(...checkChain(page, keyFor, before));
      before = page.at(-1)!.hash;
      report.seals += page.length;
      for (const seal of page) {
        let body: SealBody;
        try {
          body = JSON.parse(seal.body) as SealBody;
        } catch {
          continue; // (named by checkChain)
        }
        for (const segment of body.segments) look(db, camera, segment, report);
      }
    }
    return report;
  });
}

function look(db: Db, camera: string, [start, , size, sha256]: SealedSegment, report: CameraSeals): void {
  report.listed++;
  const at = new Date(start * 1000).toISOString();
  const row = storedAt(db, camera, start);
  if (row) {
    if (row.segment_size === size && (sha256 === null || row.sha256 === sha256)) report.stored++;
    else {
      report.altered++;
      if (report.examples.length < NAMED) report.examples.push(`${at}: stored now is not what was sealed`);
    }
    return;
  }
  const rule = deletedByRule(db, camera, start);
  if (rule) report.deleted[rule.rule] = (report.deleted[rule.rule] ?? 0) + 1;
  else {
    report.missing++;
    if (report.examples.length < NAMED) report.examples.push(`${at}: sealed, gone, and no rule deleted it`);
  }
}

/** What `verify --archive` found: stored files hashed again against the index (nothing changed). */
export interface ArchiveCheck {
  checked: number;
  bytes: number;
  /** Files whose bytes are not the ones hashed when stored (or that cannot be read), named. */
  damaged: string[];
}

/** Every local stored file with a hash, hashed again (read-only: the keeper's scrub repairs). */
export async function checkArchive(db: Db): Promise<ArchiveCheck> {
  const result: ArchiveCheck = { checked: 0, bytes: 0, damaged: [] };
  let [after, afterId] = [-1e12, ""];
  for (;;) {
    const rows = localHashedAfter(db, after, afterId, 256);
    if (!rows.length) return result;
    for (const row of rows) {
      [after, afterId] = [row.start_time, row.id];
      const actual = await sha256OfFile(row.path).catch(() => "unreadable");
      result.checked++;
      result.bytes += row.segment_size;
      if (actual !== row.sha256)
        result.damaged.push(
          `${row.camera} ${new Date(row.start_time * 1000).toISOString()}: ${row.path} (${actual === "unreadable" ? "unreadable" : "its bytes are not those stored"})`,
        );
    }
  }
}
