import { and, asc, eq, gte, isNull, lte, or, type SQL } from "drizzle-orm";
import type { EventSpan } from "../record/decide.ts";
import type { Db } from "./open.ts";
import { events, type Event } from "./schema.ts";

/** A camera's events with a clip that may hold some of [from, to] once padded by pre/post. */
export function eventsNear(db: Db, camera: string, from: number, to: number, pre: number, post: number): EventSpan[] {
  return db
    .select({ start_time: events.start_time, end_time: events.end_time, has_clip: events.has_clip })
    .from(events)
    .where(and(
      eq(events.camera, camera),
      eq(events.has_clip, true),
      lte(events.start_time, to + pre),
      or(isNull(events.end_time), gte(events.end_time, from - post)),
    ))
    .all();
}

export function eventById(db: Db, id: string): Event | undefined {
  return db.select().from(events).where(eq(events.id, id)).get();
}

/** Inserts an event; false when its id is taken. */
export function insertEvent(db: Db, e: Event): boolean {
  return db.insert(events).values(e).onConflictDoNothing().returning({ id: events.id }).get() !== undefined;
}

export function updateEvent(db: Db, id: string, changes: Partial<Omit<Event, "id" | "camera">>): void {
  db.update(events).set(changes).where(eq(events.id, id)).run();
}

export function deleteEvent(db: Db, id: string): boolean {
  return db.delete(events).where(eq(events.id, id)).returning({ id: events.id }).get() !== undefined;
}

export interface EventFilter {
  camera?: string;
  label?: string;
  after?: number;
  before?: number;
  limit: number;
}

/** Events overlapping [after, before], oldest first. */
export function listEvents(db: Db, f: EventFilter): Event[] {
  const where: SQL[] = [];
  if (f.camera !== undefined) where.push(eq(events.camera, f.camera));
  if (f.label !== undefined) where.push(eq(events.label, f.label));
  if (f.before !== undefined) where.push(lte(events.start_time, f.before));
  if (f.after !== undefined) where.push(or(isNull(events.end_time), gte(events.end_time, f.after))!);
  return db.select().from(events).where(and(...where)).orderBy(asc(events.start_time)).limit(f.limit).all();
}

/** A camera's event count per quarter hour of start time. */
export function eventBuckets(db: Db, camera: string, bucketSeconds: number): { bucket: number; events: number }[] {
  return db.$client
    .query(`SELECT CAST(start_time / ${bucketSeconds} AS INTEGER) * ${bucketSeconds} AS bucket, count(*) AS events
            FROM events WHERE camera = ? GROUP BY 1`)
    .all(camera) as { bucket: number; events: number }[];
}
