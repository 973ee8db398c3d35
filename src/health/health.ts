/**
 * Whether camkeep is healthy, as /healthz reports it (SPEC 5.1). Pure: the checks' results
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
}

/** A maintainer pass later than this many scan intervals means it is stuck. */
export const LATE_PASSES = 3;

export function healthReasons(h: HealthInputs): string[] {
  const reasons: string[] = [];
  const late = LATE_PASSES * h.scanIntervalS * 1000;
  const since = h.nowMs - (h.lastPassEndMs ?? h.startedAtMs);
  if (h.reconciling) reasons.push("starting: comparing storage with the index");
  else if (since > late) reasons.push(`maintainer pass late: none finished for ${Math.round(since / 1000)} s`);
  if (!h.databaseWritable) reasons.push("database not writable");
  if (!h.storagePresent) reasons.push("storage missing");
  else if (!h.storageClaimed) reasons.push("storage not mounted: its volume marker is missing");
  else if (!h.storageWritable) reasons.push("storage not writable");
  if (h.reconcileProblem) reasons.push("storage does not match the index: start-up reconcile changed nothing");
  if (h.storagePresent && h.freeBytes < h.minFreeBytes) reasons.push("disk almost full: free space below storage.min_free");
  if (!h.clock.sane) reasons.push(h.clock.reason ?? "clock not sane");
  if (h.stalledCameras > 0) reasons.push(`${h.stalledCameras} camera(s) stalled: no new segment from the recorder`);
  return reasons;
}
