// Storage people can plan with (docs/storage.md#days-left): how fast each camera fills storage and
// how many days that leaves, from the rollups' sums. Pure: (what was stored, first footage, the
// space, the rules, now) in, figures out; the status, metrics and MQTT read them.

import type { Retention } from "./retain.ts";

const DAY = 86_400;

/** What a camera stored, summed by the rollups: the last day, the last week, and each UTC day of the last 30. */
export interface StoredSums {
  lastDay: number;
  lastWeek: number;
  /** Bytes per UTC day (the day's start, epoch s); days with nothing may be left out. */
  days: readonly { day: number; bytes: number }[];
}

/**
 * A rate of filling, bytes a day, and the days of history it rests on: over the last day or the
 * last week, but never more than the camera's footage goes back. Null when under an hour of
 * history: too little to say anything true.
 */
export interface Rate {
  bytes_per_day: number | null;
  history_days: number;
}

export interface CameraForecast {
  last_day: Rate;
  last_week: Rate;
  /** Bytes stored per UTC day, the last 30 days, oldest first (a day with nothing: 0). */
  daily: { day: string; bytes: number }[];
  /** The camera's longest continuous retention, and in how many days it starts to delete (0: it does now). */
  retention_days: number | null;
  retention_bites_in_days: number | null;
  /** Each retention rule (continuous, and each event rule and label), and in how many days it starts to delete. */
  rules: RuleTiming[];
  /** Days until its quota is full at the week's rate (or the day's, with less history); null without a quota. */
  quota_days_left: number | null;
}

/** A retention rule by what it keeps, how long, and when it starts to delete what it alone kept. */
export interface RuleTiming {
  rule: string;
  days: number;
  bites_in_days: number;
}

/**
 * The camera's rules as a person reads them ("continuous, 7 days", "alerts with person, 30 days"):
 * each starts deleting once the camera's footage is older than its days — in `days - history`.
 */
export function ruleTimings(retention: Retention, historyDays: number): RuleTiming[] {
  const timing = (rule: string, days: number) => ({
    rule,
    days,
    bites_in_days: round(Math.max(0, days - historyDays)),
  });
  const kept = (mode: string) => (mode === "all" ? "" : ` (${mode})`);
  const rules = [
    ...retention.continuous.map((r) => timing(`continuous${kept(r.mode)}`, r.days)),
    ...retention.events.flatMap((r) => {
      const what = `${r.severity ? `${r.severity}s` : "events"}${r.labels ? ` of ${r.labels.join(", ")}` : ""}${r.zones.length ? ` in ${r.zones.join(", ")}` : ""}`;
      return [
        timing(`${what}${kept(r.mode)}`, r.days),
        ...Object.entries(r.objects).map(([label, days]) => timing(`${what}: ${label}${kept(r.mode)}`, days)),
      ];
    }),
  ];
  return rules.filter((r) => r.days > 0); // (0 days keeps nothing: not a rule to plan by)
}

/** A camera's forecast at `now` from what it stored (`sums`) and when its footage begins. */
export function cameraForecast(opts: {
  sums: StoredSums;
  firstStart: number | undefined;
  keptBytes: number;
  retention: Retention;
  quotaBytes: number | undefined;
  now: number;
}): CameraForecast {
  const { sums, firstStart, now, retention } = opts;
  const continuous = retention.continuous.map((r) => r.days);
  const retentionDays = continuous.length ? Math.max(...continuous) : null;
  const history = firstStart === undefined ? 0 : Math.max(0, now - firstStart) / DAY;
  const over = (days: number, bytes: number): Rate => {
    const span = Math.min(days, history);
    if (span < 1 / 24) return { bytes_per_day: null, history_days: round(span) };
    return { bytes_per_day: Math.round(bytes / span), history_days: round(span) };
  };
  const last_day = over(1, sums.lastDay);
  const last_week = over(7, sums.lastWeek);
  const rate = preferred(last_day, last_week);
  const { quotaBytes, keptBytes } = opts;
  return {
    last_day,
    last_week,
    daily: dailyBytes(sums.days, now),
    retention_days: retentionDays,
    retention_bites_in_days: retentionDays === null ? null : round(Math.max(0, retentionDays - history)),
    rules: ruleTimings(retention, history),
    quota_days_left:
      quotaBytes === undefined || !rate ? null : round(Math.max(0, quotaBytes - keptBytes) / rate),
  };
}

/** The rate to plan by: the week's once it rests on more than a day of history, else the day's. */
export function preferred(day: Rate, week: Rate): number | null {
  return week.history_days > 1 && week.bytes_per_day !== null ? week.bytes_per_day : day.bytes_per_day;
}

/** A figure by the rate of the last day and by that of the last week. */
export type ByBasis = { last_day: number | null; last_week: number | null };

/** The rates a camera is planned by: the last day's, and the week's (the day's while the week rests on a day or less). */
export function planRates(f: CameraForecast): ByBasis {
  return { last_day: f.last_day.bytes_per_day, last_week: preferred(f.last_day, f.last_week) };
}

/** The sum of the rates known; null when none is. */
function total(rates: readonly (number | null)[]): number | null {
  const known = rates.filter((r): r is number => r !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

export interface StorageForecast {
  /** Bytes a day all cameras store, by the last day and by the last week. */
  bytes_per_day: ByBasis;
  /** Days until free space reaches the floor (storage.min_free) at each rate, if nothing were deleted. */
  days_until_full: ByBasis;
  /** How many days of footage the storage holds at each rate: what is kept and what is free, above the floor. */
  days_held: ByBasis;
  /** The fewest days of history any camera's rate rests on: how sure these figures are. */
  history_days: number;
}

/** The storage volume's forecast from its cameras' forecasts and its space. */
export function storageForecast(opts: {
  cameras: readonly CameraForecast[];
  freeBytes: number;
  minFreeBytes: number;
  keptBytes: number;
}): StorageForecast {
  const { cameras, freeBytes, minFreeBytes, keptBytes } = opts;
  const rates = cameras.map(planRates);
  const day = total(rates.map((r) => r.last_day));
  const week = total(rates.map((r) => r.last_week));
  const room = Math.max(0, freeBytes - minFreeBytes);
  const days = (bytes: number, rate: number | null) => (rate ? round(bytes / rate) : null);
  return {
    bytes_per_day: { last_day: day, last_week: week },
    days_until_full: { last_day: days(room, day), last_week: days(room, week) },
    days_held: { last_day: days(keptBytes + room, day), last_week: days(keptBytes + room, week) },
    history_days: cameras.length ? Math.min(...cameras.map((c) => c.last_week.history_days)) : 0,
  };
}

/** A storage tier as the forecast sees it: what it takes, and the room its target has (null: a bucket, no end). */
export interface TierSpace {
  name: string;
  copy: boolean;
  /** Seconds of age after which footage moves to it (move tiers). */
  after?: number;
  freeBytes: number | null;
}

export interface TierForecast {
  name: string;
  /** Bytes a day that reach the tier at the cameras' rates. */
  bytes_per_day: ByBasis;
  /** Its target's free space (a folder's volume); null for a bucket. */
  free_bytes: number | null;
  /** Days until that space is used up at each rate, if nothing there were deleted; null for a bucket or without a rate. */
  days_until_full: ByBasis;
}

/**
 * Each tier's forecast: a copy tier takes every camera's footage; a move tier the footage of the
 * cameras that keep footage longer than its age (the rest is deleted before it would move).
 */
export function tierForecasts(
  tiers: readonly TierSpace[],
  cameras: readonly (ByBasis & { keepsDays: number })[],
): TierForecast[] {
  return tiers.map((t) => {
    const reaching = cameras.filter((c) => t.copy || c.keepsDays * DAY > (t.after ?? 0));
    const rate = {
      last_day: total(reaching.map((c) => c.last_day)),
      last_week: total(reaching.map((c) => c.last_week)),
    };
    const days = (r: number | null) => (t.freeBytes === null || !r ? null : round(t.freeBytes / r));
    return {
      name: t.name,
      bytes_per_day: rate,
      free_bytes: t.freeBytes,
      days_until_full: { last_day: days(rate.last_day), last_week: days(rate.last_week) },
    };
  });
}

/** Bytes per UTC day over the 30 days up to `now`'s, oldest first, every day named. */
function dailyBytes(days: StoredSums["days"], now: number): { day: string; bytes: number }[] {
  const today = Math.floor(now / DAY) * DAY;
  const bytes = new Map(days.map((d) => [d.day, d.bytes]));
  return Array.from({ length: 30 }, (_, i) => {
    const day = today - (29 - i) * DAY;
    return { day: new Date(day * 1000).toISOString().slice(0, 10), bytes: Math.round(bytes.get(day) ?? 0) };
  });
}

const round = (n: number) => Math.round(n * 10) / 10;
