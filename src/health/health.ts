/**
 * Whether camkeep is healthy, as /healthz reports it (docs/api.md). Pure: the checks' results
 * come in, the reasons go out. Reasons name no camera and no path: /healthz needs no token.
 */
export interface HealthInputs {
  nowMs: number;
  startedAtMs: number;
  scanIntervalS: number;
  lastPassEndMs?: number;
  databaseWritable: boolean;
  storagePresent: boolean;
  storageWritable: boolean;
  storageClaimed: boolean; // carries its volume marker
  /** Start-up reconcile is still comparing storage with the index. */
  reconciling: boolean;
  reconcileProblem?: string;
  freeBytes: number;
  minFreeBytes: number;
  clock: { sane: boolean; reason?: string };
  /** Cameras whose recorder wrote no segment for longer than its watchdog allows. */
  stalledCameras: number;
  /** Each storage tier: for how long its transfers have failed (null: working) and whether footage waits for it. */
  tiers: { failingForS: number | null; backlog: boolean }[];
  /** Why storing new footage has stopped (only footage kept forever left on a full disk), or null. */
  storingHalted: string | null;
  /** Stored segments the scrub found damaged since start and could not restore (docs/evidence.md). */
  damagedFootage: number;
}

/** A tier failing this long with footage waiting for it is a tier down, not a blip. */
export const TIER_DOWN_S = 300;

/** A maintainer pass later than this many scan intervals means it is stuck. */
export const LATE_PASSES = 3;

export function healthReasons(h: HealthInputs): string[] {
  const reasons: string[] = [];
  const late = LATE_PASSES * h.scanIntervalS * 1000;
  const since = h.nowMs - (h.lastPassEndMs ?? h.startedAtMs);
  if (h.reconciling) reasons.push("starting: comparing storage with the index");
  else if (since > late)
    reasons.push(`maintainer pass late: none finished for ${Math.round(since / 1000)} s`);
  if (!h.databaseWritable) reasons.push("database not writable");
  if (!h.storagePresent) reasons.push("storage missing");
  else if (!h.storageClaimed) reasons.push("storage not mounted: its volume marker is missing");
  else if (!h.storageWritable) reasons.push("storage not writable");
  if (h.reconcileProblem)
    reasons.push("storage does not match the index: start-up reconcile changed nothing");
  if (h.storagePresent && h.freeBytes < h.minFreeBytes)
    reasons.push("disk almost full: free space below storage.min_free");
  if (h.storingHalted) reasons.push(`storing stopped: ${h.storingHalted}`);
  if (h.damagedFootage > 0)
    reasons.push(
      `${h.damagedFootage} stored segment(s) damaged and quarantined by the scrub (no good copy in a tier): see the log`,
    );
  if (!h.clock.sane) reasons.push(h.clock.reason ?? "clock not sane");
  if (h.stalledCameras > 0)
    reasons.push(`${h.stalledCameras} camera(s) stalled: no new segment from the recorder`);
  // A tier that is down costs footage only once disk protection may delete what waits for it:
  // until storage nears its floor, it is a matter for status, not for health (docs/tiers.md).
  const down = h.tiers.filter(
    (t) => t.backlog && t.failingForS !== null && t.failingForS >= TIER_DOWN_S,
  ).length;
  if (down && h.storagePresent && h.freeBytes < 2 * h.minFreeBytes) {
    reasons.push(
      `${down} storage tier(s) failing while storage is nearly full: footage waiting for them may be deleted`,
    );
  }
  return reasons;
}
