import { localDay } from "./time.ts";

// The page's addresses (in the fragment): a camera's day, or a moment of it. Pure.

const MOMENT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const DAY = /^\d{4}-\d\d-\d\d$/;

/** `#/camera/<name>/<YYYY-MM-DD>` for a day, `#/camera/<name>/<UTC instant>` for a moment (unambiguous in any zone). */
export function cameraLink(camera: string, to: { day?: string; at?: number }): string {
  const base = `#/camera/${encodeURIComponent(camera)}`;
  if (to.at !== undefined) return `${base}/${new Date(Math.floor(to.at) * 1000).toISOString().slice(0, 19)}Z`;
  return to.day ? `${base}/${to.day}` : base;
}

/** The camera and its day or moment an address names; undefined when it names none. */
export function readCameraLink(hash: string): { camera: string; day?: string; at?: number } | undefined {
  const m = /^#\/camera\/([^/]+)(?:\/([^/?#]+))?$/.exec(hash);
  if (!m) return undefined;
  const camera = decodeURIComponent(m[1]!);
  const rest = m[2];
  if (rest && MOMENT.test(rest)) {
    const at = Date.parse(rest) / 1000;
    return { camera, at, day: localDay(at) };
  }
  return { camera, day: rest && DAY.test(rest) ? rest : undefined };
}
