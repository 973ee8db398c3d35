import type { Context, MiddlewareHandler } from "hono";
import { recordingById } from "../db/recordings.ts";
import { eventById } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import { allows, need, shareReaches, type Touched, type Who } from "../people/access.ts";
import { apiError } from "./errors.ts";

// The roles' rules at the API's door (docs/security.md#users-and-roles): every request past
// authentication is held to people/access.ts's table here, once, before any route runs.

declare module "hono" {
  interface ContextVariableMap {
    /** Who the request is (set by api/auth.ts's authenticate, or by a login). */
    who: Who;
  }
}

/** What a need touches: the camera named, or the camera (and span) of the recording or event named. */
function touched(db: Db, n: ReturnType<typeof need>): Touched | undefined {
  if (n.to === "camera") return { camera: n.camera };
  if (n.to === "recording") {
    const r = recordingById(db, n.id);
    return r && { camera: r.camera, span: { start: r.start_time, end: r.end_time } };
  }
  if (n.to === "event") {
    const e = eventById(db, n.id);
    return e && { camera: e.camera };
  }
  return undefined;
}

/** Refuses (403) what the caller's role or grants do not cover. */
export function authorize({ db }: { db: Db }): MiddlewareHandler {
  return async (c, next) => {
    const who = c.get("who");
    if (who.kind !== "admin") {
      const n = need(c.req.method, c.req.path, (name) => c.req.query(name));
      const reaches = who.kind !== "share" || shareReaches(c.req.path) !== undefined;
      if (!reaches || !allows(who, n, touched(db, n))) return refuse(c, who, reaches ? n.to : "administer");
    }
    await next();
  };
}

function refuse(c: Context, who: Who, what: ReturnType<typeof need>["to"]) {
  const why =
    what === "administer"
      ? who.kind === "share"
        ? "is not what this link opens"
        : "needs an admin"
      : what === "read-own"
        ? "is not for a share link"
        : `is not of ${who.kind === "share" ? "this link's footage" : "a camera you are granted"}`;
  return apiError(c, 403, `${c.req.method} ${c.req.path} ${why}`);
}

/** Who the request is (after authentication). */
export const whoOf = (c: Context): Who => c.get("who");
