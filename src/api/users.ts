import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { addUser, changeUser, listUsers, publicUser, removeUser, userByName } from "../db/users.ts";
import { hashPassword } from "../people/passwords.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { NewUserBody, UserChangeBody, UserParam } from "./schemas.ts";
import { knownCameras } from "../db/totals.ts";

// Users (docs/security.md#users-and-roles), an admin's: listed (never their password hashes),
// added, changed (a new password ends their sessions), removed (their sessions with them).

export function userRoutes(deps: Pick<ApiDeps, "db" | "config" | "totals">) {
  const { db } = deps;
  /** A grant of a camera camkeep does not know is a typing mistake: named, refused. */
  const unknown = (cameras: string[]) => {
    const known = new Set(knownCameras(deps)); // (read once, not once per camera named)
    return cameras.filter((c) => !known.has(c));
  };
  const now = () => Date.now() / 1000;
  return new Hono()
    .get("/", (c) => c.json(listUsers(db)))
    .post("/", vValidator("json", NewUserBody, onInvalid), async (c) => {
      const { password, ...user } = c.req.valid("json");
      const wrong = unknown(user.cameras);
      if (wrong.length)
        return apiError(c, 400, "invalid request", { cameras: `no camera ${wrong.join(", ")}` });
      const added = addUser(db, { ...user, password_hash: await hashPassword(password) }, now());
      return added ? c.json({ name: user.name }, 201) : apiError(c, 409, `user ${user.name} exists already`);
    })
    .patch(
      "/:name",
      vValidator("param", UserParam, onInvalid),
      vValidator("json", UserChangeBody, onInvalid),
      async (c) => {
        const { password, ...change } = c.req.valid("json");
        const wrong = unknown(change.cameras ?? []);
        if (wrong.length)
          return apiError(c, 400, "invalid request", { cameras: `no camera ${wrong.join(", ")}` });
        const hash = password === undefined ? {} : { password_hash: await hashPassword(password) };
        const { name } = c.req.valid("param");
        return changeUser(db, name, { ...change, ...hash }, now())
          ? c.json(publicUser(userByName(db, name)!))
          : apiError(c, 404, `no user ${name}`);
      },
    )
    .delete("/:name", vValidator("param", UserParam, onInvalid), (c) => {
      const { name } = c.req.valid("param");
      return removeUser(db, name) ? c.body(null, 204) : apiError(c, 404, `no user ${name}`);
    });
}
