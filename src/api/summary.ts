import { offsetLookup } from "../time/zone.ts";
import type { SummaryBucket } from "../db/rollups.ts";

// The per-day, per-hour summary of a camera's footage in a time zone, from the rollups.

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
export function summarizeByLocalHour(buckets: readonly SummaryBucket[], zone: string): DaySummary[] {
  const hours = new Map<number, HourSummary & { day: string }>();
  const offset = offsetLookup(zone);
  const dayNames = new Map<number, string>(); // a day's name made once, not per hour
  const add = (bucket: number) => {
    const wall = bucket + offset(bucket * 1000) / 1000;
    const intoHour = wall % 3600;
    const start = bucket - intoHour;
    let h = hours.get(start);
    if (!h) {
      const dayNumber = Math.floor(wall / 86_400);
      let day = dayNames.get(dayNumber);
      if (day === undefined)
        dayNames.set(dayNumber, (day = new Date(dayNumber * 86_400_000).toISOString().slice(0, 10)));
      h = {
        day,
        hour: Math.floor((wall - dayNumber * 86_400) / 3600),
        start,
        duration: 0,
        motion: 0,
        objects: 0,
        events: 0,
      };
      hours.set(start, h);
    }
    return h;
  };
  for (const [bucket, duration, motion, objects, events] of buckets) {
    const h = add(bucket);
    h.duration += duration;
    h.motion += motion;
    h.objects += objects;
    h.events += events;
  }

  const days: DaySummary[] = [];
  for (const h of hours.values()) {
    // buckets come oldest first, so hours do too
    if (days.at(-1)?.day !== h.day) days.push({ day: h.day, hours: [] });
    days.at(-1)!.hours.push({
      hour: h.hour,
      start: h.start,
      duration: Math.round(h.duration * 1000) / 1000,
      motion: h.motion,
      objects: h.objects,
      events: h.events,
    });
  }
  return days;
}
