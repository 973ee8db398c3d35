import { existsSync } from "node:fs";
import { type Clocks, realClocks } from "../time/clocks.ts";
import { hostname } from "node:os";
import type { Config } from "../config/load.ts";
import {
  type ArchiveMark,
  clearAllMarks,
  clearMark,
  deletionsBetween,
  eventsOfDay,
  markEverything,
  pendingMarks,
  readyMarks,
  sealsOfHour,
  segmentsInTier,
} from "../db/archive.ts";
import { listCases } from "../db/cases.ts";
import { getMeta, setMeta } from "../db/meta.ts";
import { restoredCertificates } from "../evidence/certificates.ts";
import type { Db } from "../db/open.ts";
import type { IdentitySource } from "../evidence/identity.ts";
import { logger } from "../log/log.ts";
import { sleep } from "../time/sleep.ts";
import { S3Tier } from "../tiers/s3.ts";
import type { TierTarget } from "../tiers/target.ts";
import {
  BOX_KEY,
  type BoxFile,
  CASES_KEY,
  type CasesFile,
  documentHead,
  type EventsDay,
  eventsKey,
  type HourManifest,
  hourKey,
} from "./format.ts";

// The archive writer (docs/archive.md): keeps every bucket tier a complete archive by itself —
// the manifests of camera-hours, the events, the cases and the certificates — written again as
// the index changes (the triggers mark what changed, db/archive.ts reads the marks).

const log = logger("archive");
/** How often the marks are looked at: an event reaches the bucket within a few seconds. */
const TICK_MS = 2_000;
/** Documents written per look at most (the rest at the next). */
const PER_TICK = 64;
/** Documents written at once. */
const AT_ONCE = 4;
/** The meta key saying a tier has been given everything once (a tier added to a box with footage). */
export const givenAll = (tier: string) => `archive_given_all:${tier}`;

export interface ArchiveDeps {
  config: Pick<Config, "storage" | "evidence" | "record">;
  db: Db;
  targets: ReadonlyMap<string, TierTarget>;
  identity: IdentitySource;
  /** The clocks (docs/design.md#time); real unless a test simulates them. */
  clocks?: Clocks;
}

/** What the writer has done since start, for status and metrics. */
export interface ArchiveStatus {
  tiers: string[];
  pending: number;
  written: number;
  failures: number;
  last_error: string | null;
  last_written_at: number | null;
}

export class ArchiveWriter {
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private readonly stores: S3Tier[];
  private readonly nowS: () => number;
  /** Whether box.json holds this box's own certificate (made with the first seal). */
  private ownCertificateWritten = false;
  private boxWritten = false;
  /** Failures in a row, and until when the writer rests after the last (epoch s). */
  private failing = 0;
  private restingUntil = 0;
  private counters = {
    written: 0,
    failures: 0,
    lastError: null as string | null,
    lastAt: null as number | null,
  };

  constructor(private readonly deps: ArchiveDeps) {
    const clocks = deps.clocks ?? realClocks;
    this.nowS = () => clocks.now();
    this.stores = deps.config.storage.tiers
      .map((t) => deps.targets.get(t.name))
      .filter((t): t is S3Tier => t instanceof S3Tier);
  }

  start(): void {
    if (this.abort.signal.aborted || this.running) return;
    const { db } = this.deps;
    // No bucket: nothing is owed (a tier added later is given everything then).
    if (!this.stores.length) {
      clearAllMarks(db);
      return;
    }
    for (const store of this.stores)
      if (getMeta(db, givenAll(store.name)) === undefined) {
        markEverything(db, this.nowS());
        setMeta(db, givenAll(store.name), String(this.nowS()));
      }
    this.running = (async () => {
      const signal = this.abort.signal;
      for (; !signal.aborted; await sleep(TICK_MS, signal)) {
        try {
          await this.pass();
        } catch (e) {
          this.failed((e as Error).message);
        }
      }
    })();
  }

  /** Stops after the document being written (an interrupted one is written again at the next start: its mark stays). */
  async stop(): Promise<void> {
    this.abort.abort();
    // Up to 5 s for a document being written (stopping has TimeoutStopSec to keep): one cut off
    // keeps its mark, and is written at the next start.
    let patience: Timer | undefined;
    await Promise.race([this.running, new Promise((r) => (patience = setTimeout(r, 5_000)))]);
    clearTimeout(patience);
  }

  status(): ArchiveStatus {
    return {
      tiers: this.stores.map((s) => s.name),
      pending: this.stores.length ? pendingMarks(this.deps.db) : 0,
      written: this.counters.written,
      failures: this.counters.failures,
      last_error: this.counters.lastError,
      last_written_at: this.counters.lastAt,
    };
  }

  /**
   * One look: box.json when it must change, then what is marked, events and cases first. A store
   * that fails ends the look, and the next waits (2 s doubling to a minute): a bucket that is down
   * is not met with every document in turn, each waiting for its time-out.
   */
  async pass(): Promise<void> {
    const now = this.nowS();
    if (now < this.restingUntil) return;
    if (!this.boxWritten) await this.writeBox();
    // An hour's manifest waits record.commit_interval after its first change, as stored segments
    // wait to be indexed: a busy hour is written once an interval, not once a segment.
    const marks = readyMarks(this.deps.db, now, this.deps.config.record.commit_interval, PER_TICK);
    for (let i = 0; i < marks.length && !this.abort.signal.aborted; i += AT_ONCE) {
      const written = await Promise.all(marks.slice(i, i + AT_ONCE).map((m) => this.write(m)));
      if (written.includes(false)) return;
    }
  }

  /** One marked document, to every bucket tier; the mark goes once all have it. False when a store failed. */
  private async write(m: ArchiveMark): Promise<boolean> {
    try {
      // A seal goes out after the certificate that checks it (the box's own is made with its first seal).
      if (
        m.kind === "hour" &&
        !this.ownCertificateWritten &&
        sealsOfHour(this.deps.db, m.camera, m.period).length
      )
        await this.writeBox();
      await Promise.all(
        this.stores.map(async (store) => {
          const doc = this.document(m, store.name);
          if (doc) await store.putDocument(doc.key, JSON.stringify(doc.body));
          else await store.remove(this.keyOf(m));
        }),
      );
      clearMark(this.deps.db, m);
      this.counters.written++;
      this.counters.lastAt = this.nowS();
      this.failing = 0;
      return true;
    } catch (e) {
      this.failed((e as Error).message);
      return false;
    }
  }

  private keyOf(m: ArchiveMark): string {
    return m.kind === "hour"
      ? hourKey(m.camera, m.period)
      : m.kind === "events"
        ? eventsKey(m.camera, m.period)
        : CASES_KEY;
  }

  /** What `tier` should hold for the mark, or undefined when it should hold nothing there. */
  private document(m: ArchiveMark, tier: string): { key: string; body: unknown } | undefined {
    const { db } = this.deps;
    const key = this.keyOf(m);
    const now = this.nowS();
    if (m.kind === "cases") {
      const body: CasesFile = { ...documentHead("cases", now), cases: listCases(db) };
      return { key, body };
    }
    if (m.kind === "events") {
      const events = eventsOfDay(db, m.camera, m.period);
      if (!events.length) return undefined;
      const day = new Date(m.period * 1000).toISOString().slice(0, 10);
      const body: EventsDay = { ...documentHead("events", now), camera: m.camera, day, events };
      return { key, body };
    }
    const segments = segmentsInTier(db, tier, m.camera, m.period);
    const seals = sealsOfHour(db, m.camera, m.period).map((s) => ({
      ...s,
      signature: Buffer.from(s.signature).toString("base64"),
    }));
    // The bucket never claims footage it no longer holds: an hour with neither is removed.
    if (!segments.length && !seals.length) return undefined;
    const body: HourManifest = {
      ...documentHead("hour", now),
      camera: m.camera,
      hour: new Date(m.period * 1000).toISOString(),
      hour_s: m.period,
      segments,
      seals,
      deleted: deletionsBetween(db, m.camera, m.period, m.period + 3600),
    };
    return { key, body };
  }

  /**
   * box.json: the box's name and the certificates whose keys signed this archive's seals — its own
   * (once it has one: made with the first seal) and those of the boxes it was restored from.
   */
  private async writeBox(): Promise<void> {
    const { config, db } = this.deps;
    const certificates = restoredCertificates(db);
    const own = config.evidence.own || existsSync(config.evidence.keyFile);
    if (own) {
      const box = await this.deps.identity();
      certificates.unshift({ sha256: box.fingerprint, pem: box.certificatePem });
    }
    const body: BoxFile = {
      ...documentHead("box", this.nowS()),
      box: hostname(),
      certificates: certificates.filter((c, i) => certificates.findIndex((d) => d.sha256 === c.sha256) === i),
    };
    await Promise.all(this.stores.map((s) => s.putDocument(BOX_KEY, JSON.stringify(body))));
    this.boxWritten = true;
    this.ownCertificateWritten = own;
  }

  private failed(message: string): void {
    this.failing++;
    this.restingUntil = this.nowS() + Math.min(60, 2 ** this.failing);
    this.counters.failures++;
    if (message !== this.counters.lastError) log.warn(`the bucket's archive: ${message} (tried again)`);
    this.counters.lastError = message;
  }
}
