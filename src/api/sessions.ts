import { Hono } from "hono";
import * as v from "valibot";
import { vValidator } from "@hono/valibot-validator";
import { listSessions, revokeSession } from "../db/sessions.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";

/** The page's sessions: listed (never their secrets) and revoked one by one. */
export function sessionListRoutes({ db }: Pick<ApiDeps, "db">) {
  return new Hono()
    .get("/", (c) => c.json(listSessions(db, Date.now() / 1000)))
    .delete(
      "/:id",
      vValidator(
        "param",
        v.object({ id: v.pipe(v.string(), v.regex(/^[0-9a-f]{12}$/, "is not a session id")) }),
        onInvalid,
      ),
      (c) =>
        revokeSession(db, c.req.valid("param").id) ? c.body(null, 204) : apiError(c, 404, "no such session"),
    );
}
