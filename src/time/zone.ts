/**
 * Wall-clock time in an IANA zone <-> UTC instants, with Intl only (no tz database of our own).
 * All instants here are epoch milliseconds.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a zone, as if they were a UTC instant. */
export function wallClock(instantMs: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(instantMs))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const ms = ((instantMs % 1000) + 1000) % 1000;
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!, ms);
}

/** The zone's offset from UTC at an instant, in ms (east positive). */
export function offsetAt(instantMs: number, zone: string): number {
  return wallClock(instantMs, zone) - instantMs;
}

const DAY = 86_400_000;

/**
 * offsetAt() for many instants: asks Intl (some 15 µs a call) about once a week of instants —
 * the offset at each week's start, shared with the week before — and narrows to days, then to
 * single instants, only where a week's ends disagree (a DST switch). No zone switches twice
 * within a week. The summary turns thousands of buckets into local hours; one Intl call each
 * was its cost.
 */
export function offsetLookup(zone: string): (instantMs: number) => number {
  const WEEK = 7 * DAY;
  const at = new Map<number, number>(); // boundary instant → offset there
  const boundary = (t: number) => {
    let o = at.get(t);
    if (o === undefined) at.set(t, (o = offsetAt(t, zone)));
    return o;
  };
  const constant = (from: number, span: number) => {
    const first = boundary(from);
    return first === boundary(from + span) ? first : undefined;
  };
  return (instantMs) => {
    const week = Math.floor(instantMs / WEEK) * WEEK;
    const weekly = constant(week, WEEK);
    if (weekly !== undefined) return weekly;
    const day = Math.floor(instantMs / DAY) * DAY;
    return constant(day, DAY) ?? offsetAt(instantMs, zone);
  };
}

/**
 * Every UTC instant whose wall clock in `zone` reads `wallMs` (a wall time written as if UTC),
 * earliest first. One for most times; two in a repeated hour (clocks set back); none in a
 * skipped hour, where the time is read with the offset in force before the jump (as a clock
 * that had not been set forward yet would have written it).
 */
export function instantsForWallTime(wallMs: number, zone: string): number[] {
  const offsets = new Set([
    offsetAt(wallMs - DAY, zone),
    offsetAt(wallMs, zone),
    offsetAt(wallMs + DAY, zone),
  ]);
  const found = [...offsets]
    .map((off) => wallMs - off)
    .filter((t) => wallClock(t, zone) === wallMs)
    .sort((a, b) => a - b);
  if (found.length) return [...new Set(found)];
  return [wallMs - offsetAt(wallMs - DAY, zone)];
}
