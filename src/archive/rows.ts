import type { NewRecording } from "../db/schema.ts";
import type { HourManifest } from "./format.ts";

/**
 * An hour manifest's segments as index rows pointing at `tier` (restore, and a viewer's sites),
 * under `camera`'s name: a viewer's keys name its own camera (`<site>-<camera>`), so that two sites'
 * cameras of one name never share a key (SiteTier maps them back).
 */
export function recordingRowsOf(m: HourManifest, tier: string, camera = m.camera): NewRecording[] {
  return m.segments.map((s) => ({
    id: s.id,
    camera,
    path: camera === m.camera ? s.key : withCamera(s.key, camera),
    start_time: s.start,
    end_time: s.end,
    duration: s.duration,
    motion: s.motion,
    objects: s.objects,
    segment_size: s.size,
    unjudged: s.unjudged,
    tier,
    tiered: true,
    sha256: s.sha256,
  }));
}

/** A segment key (`<date>/<HH>/<camera>/<MM>.<SS>.mp4`) with another camera's name. */
export function withCamera(key: string, camera: string): string {
  const parts = key.split("/");
  parts[2] = camera;
  return parts.join("/");
}
