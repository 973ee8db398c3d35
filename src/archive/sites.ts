import { clearAllMarks, replaceSiteCases, replaceSiteEvents, replaceSiteHour } from "../db/archive.ts";
import { metaWithPrefix, setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import { logger } from "../log/log.ts";
import { sleep } from "../time/sleep.ts";
import type { S3Tier } from "../tiers/s3.ts";
import { CASES_KEY, CasesFile, EVENTS, EventsDay, HOURS, HourManifest, parseDocument } from "./format.ts";
import { recordingRowsOf } from "./rows.ts";

// Viewer mode (docs/archive.md#viewer-mode): each site's archive in its bucket, followed into this
// viewer's index every `refresh` seconds. Only documents whose ETag changed are read again; one gone
// from the bucket takes its footage, events or cases from the viewer. A site's cameras are named
// `<site>-<camera>`, its recordings, events and cases `<site>.<id>` (two sites may share ids: an
// archive copied, a box restored that writes on under another prefix).

const log = logger("viewer");

/** A site's camera as the viewer names it. */
export const siteCamera = (site: string, camera: string) => `${site}-${camera}`;

/** The site a viewer's camera belongs to, or undefined (site names hold no '-'). */
export const siteOf = (camera: string) =>
  camera.includes("-") ? camera.slice(0, camera.indexOf("-")) : undefined;

export interface SiteStatus {
  name: string;
  /** When the site's manifests were last read through (epoch s). */
  last_refresh: number | null;
  documents: number;
  problem: string | null;
}

export class SiteSync {
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private readonly status = new Map<string, SiteStatus>();

  constructor(private readonly deps: { db: Db; sites: readonly S3Tier[]; refreshS: number }) {
    for (const s of deps.sites)
      this.status.set(s.name, { name: s.name, last_refresh: null, documents: 0, problem: null });
  }

  start(): void {
    if (this.abort.signal.aborted || this.running) return;
    this.running = (async () => {
      const signal = this.abort.signal;
      // (the first look is the start's own: refresh() before start())
      for (
        await sleep(this.deps.refreshS * 1000, signal);
        !signal.aborted;
        await sleep(this.deps.refreshS * 1000, signal)
      )
        await this.refresh();
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  sites(): SiteStatus[] {
    return [...this.status.values()];
  }

  /** One look at every site; a site that cannot be read says why in status, and keeps what it showed. */
  async refresh(): Promise<void> {
    for (const store of this.deps.sites) {
      const s = this.status.get(store.name)!;
      try {
        s.documents = await this.follow(store);
        s.last_refresh = Date.now() / 1000;
        s.problem = null;
      } catch (e) {
        if (s.problem !== (e as Error).message) log.warn(`site ${store.name}: ${(e as Error).message}`);
        s.problem = (e as Error).message;
      }
    }
    // A viewer writes no archive of its own: the marks its changes leave are owed to no bucket.
    clearAllMarks(this.deps.db);
  }

  /** Reads what changed in a site's archive since the last look; returns how many documents it has. */
  private async follow(store: S3Tier): Promise<number> {
    const { db } = this.deps;
    const site = store.name;
    const seenKey = `viewer:${site}:`;
    const seen = new Map(metaWithPrefix(db, seenKey).map(([k, etag]) => [k.slice(seenKey.length), etag]));
    const listed = new Map<string, string>();
    for (const prefix of [HOURS, EVENTS, CASES_KEY])
      for await (const page of store.list(prefix)) for (const o of page) listed.set(o.key, o.etag);
    for (const [key, etag] of listed) {
      if (this.abort.signal.aborted) return listed.size;
      if (seen.get(key) === etag) continue;
      const text = await store.getDocument(key);
      if (text === undefined) continue; // gone meanwhile: the next look
      try {
        this.apply(site, key, text);
      } catch (e) {
        log.warn(`site ${site}: ${(e as Error).message}`);
      }
      setMeta(db, seenKey + key, etag); // (a document it cannot read is not read again until it changes)
    }
    for (const key of seen.keys())
      if (!listed.has(key)) {
        this.forget(site, key);
        db.$client.run("DELETE FROM meta WHERE key = ?", [seenKey + key]);
      }
    return listed.size;
  }

  /** One document of a site applied to the viewer's index. */
  private apply(site: string, key: string, text: string): void {
    const { db } = this.deps;
    if (key.startsWith(HOURS)) {
      const m = parseDocument(HourManifest, key, text);
      const camera = siteCamera(site, m.camera);
      const rows = recordingRowsOf(m, site, camera).map((r) => ({ ...r, id: `${site}.${r.id}` }));
      replaceSiteHour(db, site, camera, m.hour_s, rows);
    } else if (key.startsWith(EVENTS)) {
      const d = parseDocument(EventsDay, key, text);
      const camera = siteCamera(site, d.camera);
      replaceSiteEvents(
        db,
        camera,
        Date.parse(`${d.day}T00:00:00Z`) / 1000,
        d.events.map((e) => ({ ...e, id: `${site}.${e.id}`, camera })),
      );
    } else if (key === CASES_KEY) {
      const cases = parseDocument(CasesFile, key, text).cases;
      replaceSiteCases(
        db,
        site,
        cases.map((c) => ({
          ...c,
          id: `${site}.${c.id}`,
          spans: c.spans.map((s) => ({ ...s, camera: siteCamera(site, s.camera) })),
        })),
      );
    }
  }

  /** A document gone from a site's bucket: what it held leaves the viewer. */
  private forget(site: string, key: string): void {
    const { db } = this.deps;
    const hour = /^camkeep-archive\/v1\/hours\/([^/]+)\/(\d{4}-\d{2}-\d{2}T\d{2})\.json$/.exec(key);
    const day = /^camkeep-archive\/v1\/events\/([^/]+)\/(\d{4}-\d{2}-\d{2})\.json$/.exec(key);
    if (hour)
      replaceSiteHour(db, site, siteCamera(site, hour[1]!), Date.parse(`${hour[2]}:00:00Z`) / 1000, []);
    else if (day)
      replaceSiteEvents(db, siteCamera(site, day[1]!), Date.parse(`${day[2]}T00:00:00Z`) / 1000, []);
    else if (key === CASES_KEY) replaceSiteCases(db, site, []);
  }
}
