/** What the maintainer has done, per camera and overall: read by status, metrics and health. */
export interface CameraStats {
  stored: number;
  bytesStored: number;
  secondsStored: number;
  dropped: Record<string, number>; // by reason: not_retained, disabled, cache_full
  corrupt: number;
  /** Stored as `all` because no activity was reported for them (docs/retention.md). */
  unjudgedKept: number;
  storeFailures: number;
  /** Probes that failed for the probe's own reasons (timeout, no tool, no memory), not the file's. */
  probeFailures: number;
  /** Stored unjudged while stopping, before their activity could be known (docs/design.md#crash-safety). */
  storedAtStop: number;
  quarantined: number;
  /** Pictures analysed for motion (docs/motion.md), segments that could not be, and how late the last one was (s after its end). */
  motionFrames: number;
  motionFailures: number;
  motionLagS?: number;
  /** The camera's key frames are too far apart for short motion. */
  motionSparse: boolean;
  /** Why the last segment's motion was not analysed (its footage judged without it), or null once one is. */
  motionProblem: string | null;
  /** Segments that could have been decided but were not at the end of the last pass. */
  backlog: number;
  lastStoredStart?: number;
}

export class MaintainerStats {
  readonly cameras = new Map<string, CameraStats>();
  passes = 0;
  lastPassEnd?: number; // epoch ms
  lastPassMs = 0;
  invalidCacheFiles = 0;
  /** Segments of cameras that are not configured, deleted. */
  unknownCameraSegments = 0;
  /** Activity frames reported for cameras that are not configured or not recording. */
  ignoredActivityFrames = 0;
  storageAvailable = true;
  /** Called with each pass's duration in ms (metrics observe it). */
  readonly passListeners: ((ms: number) => void)[] = [];

  camera(name: string): CameraStats {
    let s = this.cameras.get(name);
    if (!s) {
      s = {
        stored: 0,
        bytesStored: 0,
        secondsStored: 0,
        dropped: {},
        corrupt: 0,
        unjudgedKept: 0,
        storeFailures: 0,
        probeFailures: 0,
        storedAtStop: 0,
        quarantined: 0,
        motionFrames: 0,
        motionFailures: 0,
        motionSparse: false,
        motionProblem: null,
        backlog: 0,
      };
      this.cameras.set(name, s);
    }
    return s;
  }

  drop(camera: string, reason: string): void {
    const d = this.camera(camera).dropped;
    d[reason] = (d[reason] ?? 0) + 1;
  }
}
