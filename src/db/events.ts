import { and, asc, count, eq, gte, isNull, lt, lte, notInArray, or, type SQL } from "drizzle-orm";
import type { EventPadding, EventSpan } from "../domain/event.ts";
import type { RuleEvent, Severity } from "../domain/retain.ts";
import type { Db } from "./open.ts";
import { countEvent } from "./rollups.ts";
import { events, type Event } from "./schema.ts";
import { raiseCopyPriority } from "./tiers.ts";

/**
 * A camera's events with a clip that may hold some of [from, to] once padded by pre/post:
 * what the maintainer judges cache segments by, and what expiry, quotas and disk protection
 * judge stored ones by. The spans of open cases come with them as events kept forever (label
 * "case"): so no rule that deletes footage can miss a case (docs/evidence.md#cases).
 */
export function eventsNear(
  db: Db,
  camera: string,
  from: number,
  to: number,
  pad: EventPadding,
): HoldingEvent[] {
  // Raw and cached by bun:sqlite (query(), not prepare()): expiry asks once per batch per camera.
  return db.$client
    .query<
      {
        label: string;
        start_time: number;
        end_time: number | null;
        retain_indefinitely: number;
        severity: Severity | null;
        zones: string;
      },
      [string, number, number]
    >(
      `SELECT label, start_time, end_time, retain_indefinitely, severity, zones FROM events
       WHERE camera = ?1 AND has_clip = 1 AND start_time <= ?2 AND (end_time IS NULL OR end_time >= ?3)
       UNION ALL
       SELECT 'case', s.start_time, s.end_time, 1, NULL, '[]' FROM case_spans s JOIN cases c ON c.id = s.case_id
       WHERE s.camera = ?1 AND s.start_time <= ?2 AND s.end_time >= ?3 AND c.closed_at IS NULL`,
    )
    .all(camera, to + pad.pre_capture, from - pad.post_capture)
    .map((e) => ({
      ...e,
      has_clip: true,
      retain_indefinitely: e.retain_indefinitely === 1,
      zones: JSON.parse(e.zones) as string[],
    }));
}

/** An event as the rules judge footage by it. */
export type HoldingEvent = EventSpan & RuleEvent;

export function eventById(db: Db, id: string): Event | undefined {
  return db.select().from(events).where(eq(events.id, id)).get();
}

/** Inserts an event (and counts it in its quarter hour, same transaction); false when its id is taken. */
export function insertEvent(db: Db, e: Event): boolean {
  return db.$client.transaction(() => {
    const created =
      db.insert(events).values(e).onConflictDoNothing().returning({ id: events.id }).get() !== undefined;
    if (created) {
      countEvent(db, e.camera, e.start_time, 1);
      raiseCopyPriority(db, e);
    }
    return created;
  })();
}

export function updateEvent(db: Db, id: string, changes: Partial<Omit<Event, "id" | "camera">>): void {
  db.update(events).set(changes).where(eq(events.id, id)).run();
}

export function deleteEvent(db: Db, id: string): boolean {
  return db.$client.transaction(() => {
    const gone = db
      .delete(events)
      .where(eq(events.id, id))
      .returning({ camera: events.camera, start_time: events.start_time })
      .get();
    if (gone) countEvent(db, gone.camera, gone.start_time, -1);
    return gone !== undefined;
  })();
}

export interface EventFilter {
  camera?: string;
  label?: string;
  after?: number;
  before?: number;
  limit: number;
}

/** Events added after the one of rowid `after` (whenever they started), in the order they were added. */
export function eventsAddedAfter(db: Db, after: number, limit: number): (Event & { rowid: number })[] {
  return db.$client
    .query<RawEvent & { rowid: number }, [number, number]>(
      "SELECT rowid, * FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?",
    )
    .all(after, limit)
    .map(eventOfRow);
}

/** An event as SQLite gives it raw (flags as 0/1, zones as JSON): as the schema types it. */
export type RawEvent = Omit<Event, "has_clip" | "retain_indefinitely" | "zones"> & {
  has_clip: number;
  retain_indefinitely: number;
  zones: string;
};

export function eventOfRow<T extends RawEvent>(e: T): Omit<T, keyof RawEvent> & Event {
  return {
    ...e,
    has_clip: e.has_clip === 1,
    retain_indefinitely: e.retain_indefinitely === 1,
    zones: JSON.parse(e.zones) as string[],
  };
}

/** The rowid of the event added last (0: none). */
export function newestEventRowid(db: Db): number {
  return db.$client.query<{ n: number | null }, []>("SELECT max(rowid) AS n FROM events").get()?.n ?? 0;
}

/** The labels a camera's events have had. */
export function labelsOf(db: Db, camera: string): string[] {
  return db
    .selectDistinct({ label: events.label })
    .from(events)
    .where(eq(events.camera, camera))
    .all()
    .map((r) => r.label);
}

/** Events overlapping [after, before], oldest first. */
export function listEvents(db: Db, f: EventFilter): Event[] {
  const where: SQL[] = [];
  if (f.camera !== undefined) where.push(eq(events.camera, f.camera));
  if (f.label !== undefined) where.push(eq(events.label, f.label));
  if (f.before !== undefined) where.push(lte(events.start_time, f.before));
  if (f.after !== undefined) where.push(or(isNull(events.end_time), gte(events.end_time, f.after))!);
  return db
    .select()
    .from(events)
    .where(and(...where))
    .orderBy(asc(events.start_time))
    .limit(f.limit)
    .all();
}

/**
 * Ends the clip of a camera's events that ended before `cutoff` (docs/retention.md): those with `label`,
 * or with any label but `otherThan` when label is undefined; of `severity` when given (an event
 * without one counts as an alert). Returns how many; dry runs count only.
 */
export function expireEvents(
  db: Db,
  camera: string,
  cutoff: number,
  label: string | undefined,
  otherThan: string[],
  severity: Severity | undefined,
  dryRun: boolean,
): number {
  const where = and(
    eq(events.camera, camera),
    eq(events.has_clip, true),
    eq(events.retain_indefinitely, false),
    lt(events.end_time, cutoff),
    label !== undefined
      ? eq(events.label, label)
      : otherThan.length
        ? notInArray(events.label, otherThan)
        : undefined,
    severity === "alert"
      ? or(eq(events.severity, "alert"), isNull(events.severity))
      : severity
        ? eq(events.severity, severity)
        : undefined,
  );
  if (dryRun) return db.select({ n: count() }).from(events).where(where).get()?.n ?? 0;
  return db.update(events).set({ has_clip: false }).where(where).returning({ id: events.id }).all().length;
}

/** Cameras that have events (for event retention of removed cameras). */
export function eventCameras(db: Db): string[] {
  return db
    .selectDistinct({ camera: events.camera })
    .from(events)
    .all()
    .map((r) => r.camera);
}
