import { wallClock } from "../time/zone.ts";
import type { Bucket } from "../db/recordings.ts";

export interface HourSummary {
  hour: number; // local hour, 0–23
  start: number; // the local hour's start, epoch seconds (tells apart the two 02:00 hours of a fall-back day)
  duration: number;
  motion: number;
  objects: number;
  events: number;
}

export interface DaySummary {
  day: string; // local YYYY-MM-DD
  hours: HourSummary[];
}

/**
 * Regroups quarter-hour buckets (UTC) into local days and hours of `zone`. A DST day gets 23 or
 * 25 hours; a zone half an hour off UTC splits each UTC hour between two local hours correctly.
 * Days and hours in time order.
 */
export function summarizeByLocalHour(buckets: Bucket[], events: Map<number, number>, zone: string): DaySummary[] {
  const hours = new Map<number, HourSummary & { day: string }>();
  const add = (bucket: number) => {
    const wall = wallClock(bucket * 1000, zone) / 1000;
    const intoHour = wall % 3600;
    const start = bucket - intoHour;
    let h = hours.get(start);
    if (!h) {
      const day = new Date(wall * 1000).toISOString().slice(0, 10);
      h = { day, hour: Math.floor((wall % 86_400) / 3600), start, duration: 0, motion: 0, objects: 0, events: 0 };
      hours.set(start, h);
    }
    return h;
  };
  for (const b of buckets) {
    const h = add(b.bucket);
    h.duration += b.duration;
    h.motion += b.motion;
    h.objects += b.objects;
  }
  for (const [bucket, n] of events) add(bucket).events += n;

  const days = new Map<string, HourSummary[]>();
  for (const { day, ...h } of [...hours.values()].sort((a, b) => a.start - b.start)) {
    const list = days.get(day) ?? [];
    list.push({ ...h, duration: Math.round(h.duration * 1000) / 1000 });
    days.set(day, list);
  }
  return [...days].map(([day, hours]) => ({ day, hours }));
}
