import type { Db } from "../db/open.ts";
import type { CopyOnInsert } from "../db/tiers.ts";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import type { MediaEngine } from "../media/engine.ts";
import { reconcileStorage, type ReconcileReport } from "./reconcile.ts";
import { boundStorageId, hasVolumeMarker, markerId, VOLUME_MARKER } from "./volume.ts";

// Whether storage may be used now: its marker, its identity, start-up reconcile.

const log = logger("storage");

/** A refused reconcile is tried again at most this often, once the marker is back. */
const RETRY_MS = 60_000;

/**
 * Whether storage may be written to and deleted from. It may not while its volume marker is
 * missing (an unmounted disk leaves an empty mount point) or while start-up reconcile refused
 * to change anything. A disk mounted late — a NAS share after boot — is noticed: once the
 * marker is back, reconcile runs again and storage opens without a restart.
 */
export class StorageGate {
  report?: ReconcileReport;
  private lastTry = 0;
  /** The storage id the database is bound to, read once reconcile has claimed the storage. */
  private bound?: string;

  constructor(
    private readonly db: Db,
    private readonly media: MediaEngine,
    readonly root: string,
    private readonly retryMs = RETRY_MS,
    /** Copy tiers re-indexed footage is queued for. */
    private readonly copyTo?: CopyOnInsert,
  ) {}

  async reconcile(): Promise<ReconcileReport> {
    this.lastTry = Date.now();
    noteJob("storage: comparing storage with the index");
    this.report = await reconcileStorage(this.db, this.media, this.root, this.copyTo);
    this.bound = this.report.ok ? boundStorageId(this.db) : undefined;
    if (!this.report.ok) log.error(`start-up reconcile changed nothing: ${this.report.reason}`);
    return this.report;
  }

  /**
   * Called by the maintainer each pass: cheap unless a refused reconcile may now succeed.
   * Returns true when it reconciled (rows may have changed).
   */
  async retryIfMounted(): Promise<boolean> {
    if (this.report?.ok !== false || Date.now() - this.lastTry < this.retryMs || !hasVolumeMarker(this.root))
      return false;
    log.info(`storage marker ${VOLUME_MARKER} is back: reconciling again`);
    await this.reconcile();
    return true;
  }

  /**
   * Why storage may not be used now, or undefined when it may. A disk swapped while camkeep
   * runs (unmounted, another mounted in its place) is caught by the id in its marker.
   */
  problem(): string | undefined {
    if (this.report && !this.report.ok) return this.report.reason;
    if (!hasVolumeMarker(this.root)) return `storage ${this.root} lacks ${VOLUME_MARKER} (unmounted?)`;
    let found: string | undefined;
    try {
      found = markerId(this.root);
    } catch (e) {
      return `cannot read ${VOLUME_MARKER} in ${this.root}: ${(e as Error).message}`;
    }
    if (this.bound && found !== this.bound)
      return `storage ${this.root} is not this database's (its id is ${found ?? "missing"}, expected ${this.bound}): another disk mounted?`;
    return undefined;
  }
}
