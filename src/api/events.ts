import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { deleteEvent, eventById, insertEvent, listEvents, updateEvent } from "../db/events.ts";
import { newId } from "../domain/id.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { EventChanges, EventIdParam, EventsQuery, NewEvent } from "./schemas.ts";

/**
 * Events from whatever detector the user runs (docs/retention.md). An event for a camera that is not
 * configured is accepted: cameras can be removed while their footage and events remain.
 */
export function eventRoutes({ db }: Pick<ApiDeps, "db">) {
  return new Hono()
    .post("/", vValidator("json", NewEvent, onInvalid), (c) => {
      const body = c.req.valid("json");
      const end = body.end_time ?? null;
      if (end !== null && end < body.start_time)
        return apiError(c, 400, "invalid request", { end_time: "must not be before start_time" });
      const id = body.id ?? newId(body.start_time);
      const created = insertEvent(db, {
        id,
        camera: body.camera,
        label: body.label,
        start_time: body.start_time,
        end_time: end,
        has_clip: body.has_clip ?? true,
        retain_indefinitely: body.retain_indefinitely ?? false,
        severity: body.severity ?? null,
        zones: body.zones ?? [],
      });
      if (!created) return apiError(c, 409, `event ${id} exists already`, { id: "is taken" });
      return c.json({ id }, 201);
    })
    .get("/", vValidator("query", EventsQuery, onInvalid), (c) => {
      const q = c.req.valid("query");
      return c.json(listEvents(db, { ...q, limit: q.limit ?? 1000 }));
    })
    .get("/:id", vValidator("param", EventIdParam, onInvalid), (c) => {
      const event = eventById(db, c.req.valid("param").id);
      return event ? c.json(event) : apiError(c, 404, "no such event");
    })
    .patch(
      "/:id",
      vValidator("param", EventIdParam, onInvalid),
      vValidator("json", EventChanges, onInvalid),
      (c) => {
        const { id } = c.req.valid("param");
        const changes = c.req.valid("json");
        const event = eventById(db, id);
        if (!event) return apiError(c, 404, "no such event");
        const end = changes.end_time === undefined ? event.end_time : changes.end_time;
        if (end !== null && end < event.start_time)
          return apiError(c, 400, "invalid request", { end_time: "must not be before start_time" });
        if (Object.keys(changes).length) updateEvent(db, id, changes);
        return c.json(eventById(db, id));
      },
    )
    .delete("/:id", vValidator("param", EventIdParam, onInvalid), (c) => {
      return deleteEvent(db, c.req.valid("param").id) ? c.body(null, 204) : apiError(c, 404, "no such event");
    });
}
