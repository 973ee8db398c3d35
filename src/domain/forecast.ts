// Storage people can plan with (docs/storage.md#days-left): how fast each camera fills storage and
// how many days that leaves, from the rollups' sums. Pure: (what was stored, first footage, the
// space, the rules, now) in, figures out; the status, metrics and MQTT read them.

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
  /** Days until its quota is full at the week's rate (or the day's, with less history); null without a quota. */
  quota_days_left: number | null;
}

/** A camera's forecast at `now` from what it stored (`sums`) and when its footage begins. */
export function cameraForecast(opts: {
  sums: StoredSums;
  firstStart: number | undefined;
  keptBytes: number;
  retentionDays: number | null;
  quotaBytes: number | undefined;
  now: number;
}): CameraForecast {
  const { sums, firstStart, now } = opts;
  const history = firstStart === undefined ? 0 : Math.max(0, now - firstStart) / DAY;
  const over = (days: number, bytes: number): Rate => {
    const span = Math.min(days, history);
    if (span < 1 / 24) return { bytes_per_day: null, history_days: round(span) };
    return { bytes_per_day: Math.round(bytes / span), history_days: round(span) };
  };
  const last_day = over(1, sums.lastDay);
  const last_week = over(7, sums.lastWeek);
  const rate = preferred(last_day, last_week);
  const { retentionDays, quotaBytes, keptBytes } = opts;
  return {
    last_day,
    last_week,
    daily: dailyBytes(sums.days, now),
    retention_days: retentionDays,
    retention_bites_in_days: retentionDays === null ? null : round(Math.max(0, retentionDays - history)),
    quota_days_left:
      quotaBytes === undefined || !rate ? null : round(Math.max(0, quotaBytes - keptBytes) / rate),
  };
}

/** The rate to plan by: the week's once it rests on more than a day of history, else the day's. */
export function preferred(day: Rate, week: Rate): number | null {
  return week.history_days > 1 && week.bytes_per_day !== null ? week.bytes_per_day : day.bytes_per_day;
}

export interface StorageForecast {
  /** Bytes a day all cameras store, by the last day and by the last week. */
  bytes_per_day: { last_day: number | null; last_week: number | null };
  /** Days until free space reaches the floor (storage.min_free) at each rate, if nothing were deleted. */
  days_until_full: { last_day: number | null; last_week: number | null };
  /** How many days of footage the storage holds at each rate: what is kept and what is free, above the floor. */
  days_held: { last_day: number | null; last_week: number | null };
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
  const sum = (pick: (c: CameraForecast) => number | null) => {
    const rates = cameras.map(pick).filter((r): r is number => r !== null);
    return rates.length ? rates.reduce((a, b) => a + b, 0) : null;
  };
  const day = sum((c) => c.last_day.bytes_per_day);
  const week = sum((c) => preferred(c.last_day, c.last_week));
  const room = Math.max(0, freeBytes - minFreeBytes);
  const days = (bytes: number, rate: number | null) => (rate ? round(bytes / rate) : null);
  return {
    bytes_per_day: { last_day: day, last_week: week },
    days_until_full: { last_day: days(room, day), last_week: days(room, week) },
    days_held: { last_day: days(keptBytes + room, day), last_week: days(keptBytes + room, week) },
    history_days: cameras.length ? Math.min(...cameras.map((c) => c.last_week.history_days)) : 0,
  };
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
