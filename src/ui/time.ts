import { BUCKET_SECONDS } from "../domain/buckets.ts";

/**
 * Days and hours in the browser's time zone, DST-correct: a day runs from local midnight to
 * the next local midnight (23, 24 or 25 hours). Times are epoch seconds. Pure, for tests.
 */

/** "YYYY-MM-DD" of an instant, in local time. */
export function localDay(t: number): string {
  const d = new Date(t * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function dayBounds(day: string): { start: number; end: number } {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return { start: new Date(y, m - 1, d).getTime() / 1000, end: new Date(y, m - 1, d + 1).getTime() / 1000 };
}

/** Recorded spans from the quarter-hour rollups: quarter hours with footage, adjacent ones merged. */
export function bucketSpans(
  buckets: readonly { bucket: number; segments: number }[],
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const b of buckets) {
    if (!(b.segments > 0)) continue; // a quarter hour with events only
    const last = out.at(-1);
    if (last && last.end === b.bucket) last.end = b.bucket + BUCKET_SECONDS;
    else out.push({ start: b.bucket, end: b.bucket + BUCKET_SECONDS });
  }
  return out;
}

export { BUCKET_SECONDS };

/** "HH:MM:SS" local. */
export function clock(t: number): string {
  const d = new Date(t * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Value for <input type="datetime-local" step="1">, and back. */
export function toInput(t: number): string {
  return `${localDay(t)}T${clock(t)}`;
}
export function fromInput(value: string): number {
  return new Date(value).getTime() / 1000;
}

export function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  for (; n >= 1000 && i < units.length - 1; i++) n /= 1000;
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${units[i]}`;
}

export function age(seconds: number | null): string {
  return seconds === null ? "never" : `${span(seconds)} ago`;
}

/** A length of time in its largest sensible unit: "40 s", "12 min", "5 h", "7 days". */
export function span(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * Motion per minute (UTC minutes are local minutes in every real zone): each segment's motion
 * spread over the minutes it covers, in proportion to its time in each. Minutes without
 * motion are left out; `intensity` is 0–1 against the busiest minute.
 */
export function motionPerMinute(
  recordings: readonly { start_time: number; end_time: number; motion: number }[],
): { minute: number; motion: number; intensity: number }[] {
  const minutes = new Map<number, number>();
  for (const r of recordings) {
    if (!(r.motion > 0) || !(r.end_time > r.start_time)) continue;
    for (let m = Math.floor(r.start_time / 60) * 60; m < r.end_time; m += 60) {
      const overlap = Math.min(r.end_time, m + 60) - Math.max(r.start_time, m);
      if (overlap > 0)
        minutes.set(m, (minutes.get(m) ?? 0) + (r.motion * overlap) / (r.end_time - r.start_time));
    }
  }
  const peak = Math.max(0, ...minutes.values());
  return [...minutes]
    .sort((a, b) => a[0] - b[0])
    .map(([minute, motion]) => ({ minute, motion, intensity: peak ? motion / peak : 0 }));
}
