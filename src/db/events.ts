import { and, eq, gte, isNull, lte, or } from "drizzle-orm";
import type { EventSpan } from "../record/decide.ts";
import type { Db } from "./open.ts";
import { events } from "./schema.ts";

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
