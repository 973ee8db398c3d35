import type * as v from "valibot";
import { clearAllMarks, restoreDeletions, restoreSeal, restoreSealHeads } from "../db/archive.ts";
import { restoreCase } from "../db/cases.ts";
import { insertEvent } from "../db/events.ts";
import { setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import { insertRecordings, recordingCount } from "../db/recordings.ts";
import type { NewRecording } from "../db/schema.ts";
import { camerasWithFootage } from "../db/seals.ts";
import { knownKeys, rememberCertificate } from "../evidence/certificates.ts";
import { type CameraSeals, checkSeals } from "../evidence/check.ts";
import type { S3Tier } from "../tiers/s3.ts";
import {
  BOX_KEY,
  BoxFile,
  CASES_KEY,
  CasesFile,
  EVENTS,
  EventsDay,
  HOURS,
  HourManifest,
  parseDocument,
} from "./format.ts";
import { recordingRowsOf } from "./rows.ts";
import { givenAll } from "./writer.ts";

// `camkeep restore --from TIER` (docs/archive.md#restore): the index rebuilt from the bucket's
// archive alone — recordings pointing at the bucket, events with their kept flags, cases, rule
// deletions, seals (rollups follow from the inserts) — never from a listing of segment objects;
// then every seal's chain and signature checked, and what each lists found among the recordings.

/** Manifests fetched at once, and inserted in one transaction. */
const AT_ONCE = 16;

export interface RestoreReport {
  hours: number;
  segments: number;
  seals: number;
  events: number;
  cases: number;
  /** The certificates of the boxes the archive came from (SHA-256). */
  certificates: string[];
  /** Documents that could not be read or understood, each with why: what they held is not restored. */
  unreadable: string[];
  /** Per camera: the seals checked, and what they list found (or not) among the restored recordings. */
  cameras: CameraSeals[];
}

/** The archive's refusal to fill a database that already holds footage (unless forced). */
export class RestoreRefused extends Error {}

/**
 * Restores the index from `store`'s archive into `db` (empty, unless `force`: then what is already
 * there is kept and only what is missing added). `progress` hears a line per step.
 */
export async function restoreArchive(
  db: Db,
  store: S3Tier,
  opts: { force: boolean; now: number; progress?: (line: string) => void },
): Promise<RestoreReport> {
  const held = recordingCount(db);
  if (held && !opts.force)
    throw new RestoreRefused(
      `the database already holds ${held} recordings: restore fills an empty one (a new data folder), or add --force to add what it lacks`,
    );
  const progress = opts.progress ?? (() => {});
  const report: RestoreReport = {
    hours: 0,
    segments: 0,
    seals: 0,
    events: 0,
    cases: 0,
    certificates: [],
    unreadable: [],
    cameras: [],
  };
  const boxText = await store.getDocument(BOX_KEY);
  if (boxText === undefined)
    throw new RestoreRefused(
      `tier ${store.name} holds no camkeep archive there (no ${BOX_KEY}): check the bucket and the prefix`,
    );
  const box = parseDocument(BoxFile, BOX_KEY, boxText);
  for (const c of box.certificates) {
    const why = rememberCertificate(db, c.sha256, c.pem);
    if (why) report.unreadable.push(`${BOX_KEY}: ${why}`);
    else report.certificates.push(c.sha256);
  }
  progress(`archive of ${box.box}, written ${box.written_at}`);

  const restoreHours = (manifests: readonly HourManifest[]) =>
    db.$client.transaction(() => {
      const rows: NewRecording[] = [];
      for (const m of manifests) {
        rows.push(...recordingRowsOf(m, store.name));
        for (const s of m.seals)
          restoreSeal(db, m.camera, m.hour_s, { ...s, signature: Buffer.from(s.signature, "base64") });
        restoreDeletions(db, m.camera, m.deleted);
      }
      const fresh = opts.force ? rows.filter((r) => !recordingExists(db, r.id, r.path)) : rows;
      insertRecordings(db, fresh);
      report.segments += fresh.length;
      report.hours += manifests.length;
      report.seals += manifests.reduce((n, m) => n + m.seals.length, 0);
    })();
  await eachDocument(store, HOURS, HourManifest, report, (docs) => {
    try {
      restoreHours(docs.map((d) => d.doc));
    } catch {
      // One of them contradicts the index (a segment listed twice, in a tampered bucket): each
      // on its own, and the one that cannot go in is named.
      for (const { key, doc } of docs) {
        try {
          restoreHours([doc]);
        } catch (e) {
          report.unreadable.push(`${key}: cannot be restored (${(e as Error).message})`);
        }
      }
    }
  });
  progress(`${report.hours} camera-hours: ${report.segments} segments, ${report.seals} seals`);

  await eachDocument(store, EVENTS, EventsDay, report, (days) => {
    db.$client.transaction(() => {
      for (const { doc } of days) for (const e of doc.events) if (insertEvent(db, e)) report.events++;
    })();
  });
  const casesText = await store.getDocument(CASES_KEY);
  if (casesText !== undefined) {
    try {
      for (const c of parseDocument(CasesFile, CASES_KEY, casesText).cases) {
        restoreCase(db, c);
        report.cases++;
      }
    } catch (e) {
      report.unreadable.push((e as Error).message);
    }
  }
  progress(`${report.events} events, ${report.cases} cases`);

  db.$client.transaction(() => {
    restoreSealHeads(db);
    // What was restored is what the bucket holds: nothing to write back to it.
    clearAllMarks(db);
    setMeta(db, givenAll(store.name), String(opts.now));
  })();
  report.cameras = checkSeals(db, camerasWithFootage(db), knownKeys(db, undefined));
  return report;
}

function recordingExists(db: Db, id: string, path: string): boolean {
  return !!db.$client.query("SELECT 1 FROM recordings WHERE id = ? OR path = ?").get(id, path);
}

/**
 * Every document under `prefix`, read AT_ONCE at a time and handed on in groups; one that cannot
 * be read or understood is named in the report, and the rest go on.
 */
async function eachDocument<S extends v.GenericSchema>(
  store: S3Tier,
  prefix: string,
  schema: S,
  report: RestoreReport,
  take: (docs: { key: string; doc: v.InferOutput<S> }[]) => void,
): Promise<void> {
  for await (const page of store.list(prefix)) {
    for (let i = 0; i < page.length; i += AT_ONCE) {
      const docs = await Promise.all(
        page.slice(i, i + AT_ONCE).map(async ({ key }) => {
          try {
            const text = await store.getDocument(key);
            return text === undefined ? undefined : { key, doc: parseDocument(schema, key, text) };
          } catch (e) {
            report.unreadable.push((e as Error).message);
            return undefined;
          }
        }),
      );
      take(docs.filter((d) => d !== undefined));
    }
  }
}
