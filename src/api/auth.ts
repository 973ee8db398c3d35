import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../db/open.ts";
import { createSession, revokeSession, SESSION_DAYS, sessionOwner } from "../db/sessions.ts";
import { type Role, userByName } from "../db/users.ts";
import type { ShareGrant, Who } from "../people/access.ts";
import { logger } from "../log/log.ts";
import { apiError } from "./errors.ts";
import type { LoginGuard } from "./login-guard.ts";
import type { Clocks } from "../time/clocks.ts";

// Who a request is (docs/security.md): the bearer token, a page's session (the token's or a user's), or
// a share link's grant; and logging in, by name and password or with the token, failed attempts limited.

const log = logger("auth");

export interface AuthDeps {
  token: string;
  db: Db;
  /** The session cookie's name: one per camkeep, so two on one host do not meet. */
  cookieName: string;
  guard: LoginGuard;
  /** The clocks the login limits are counted on (docs/design.md#time). */
  clocks: Clocks;
}

/** The session cookie's name for a camkeep, from its database's path (stable, and distinct per instance). */
export function sessionCookieName(database: string): string {
  return `camkeep_${createHash("sha256").update(database).digest("hex").slice(0, 8)}`;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compared in constant time (over digests, so lengths match). */
function tokenMatches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** The client's address (the socket's; camkeep does not trust forwarded headers for this). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The token's name in logs and the audit log: whoever holds it is an admin. */
const TOKEN_ADMIN: Who = { kind: "admin", name: "admin (token)" };

const whoIs = (u: { name: string; role: Role; cameras: string[] }): Who =>
  u.role === "admin" ? { kind: "admin", name: u.name } : { kind: "viewer", name: u.name, cameras: u.cameras };

/** Refuses an address (or a user) that failed too often (429 with Retry-After); undefined when it may try. */
function tooMany(c: Context, guard: LoginGuard, now: () => number, user?: string) {
  const wait = Math.max(
    guard.waitFor(clientAddress(c), now()),
    user === undefined ? 0 : guard.waitFor(userKey(user), now()),
  );
  if (!wait) return undefined;
  c.header("retry-after", String(wait));
  return apiError(
    c,
    429,
    `too many failed attempts from this address${user === undefined ? "" : " or for this user"}; try again in ${wait} s`,
  );
}

/** Failed logins of a user are counted under this key, beside the address's. */
const userKey = (name: string) => `user:${name}`;

function failure(c: Context, guard: LoginGuard, now: () => number, what: string, user?: string): void {
  const address = clientAddress(c);
  guard.failed(address, now());
  if (user !== undefined) guard.failed(userKey(user), now());
  log.warn(`${what} from ${address} (${c.req.method} ${c.req.path})`); // never the token or password
}

/** A share link's grant, handed on by the share routes (api/shares.ts) with the request; never from a client. */
const shareOf = (c: Context) => (c.env as { share?: ShareGrant } | undefined)?.share;

/**
 * Who the request is: `Authorization: Bearer <token>` (an admin), the page's session cookie (a
 * <video> cannot send a header; the cookie holds a random session id, never the token), or a
 * share link's grant. Sets `who` for the access rules (api/access.ts); 401 for anyone else.
 */
export function authenticate({ token, db, cookieName, guard, clocks }: AuthDeps): MiddlewareHandler {
  const expected = digest(token);
  const now = () => clocks.now();
  return async (c, next) => {
    const share = shareOf(c);
    if (share) {
      c.set("who", { kind: "share", name: `share ${share.id}`, share });
      return next();
    }
    const refused = tooMany(c, guard, now);
    if (refused) return refused;
    const header = c.req.header("authorization");
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const session = header === undefined ? getCookie(c, cookieName) : undefined;
    let who: Who | undefined;
    if (bearer !== undefined) who = tokenMatches(bearer, expected) ? TOKEN_ADMIN : undefined;
    else if (session !== undefined) {
      const owner = sessionOwner(db, session, now());
      who = !owner ? undefined : owner.user === null ? TOKEN_ADMIN : whoIs(owner.user);
    }
    if (!who) {
      c.header("www-authenticate", 'Bearer realm="camkeep"');
      if (header === undefined && session === undefined)
        return apiError(c, 401, "missing Authorization: Bearer <token> header");
      failure(c, guard, now, session !== undefined ? "unknown or expired session" : "wrong token");
      return apiError(
        c,
        401,
        session !== undefined ? "session expired or revoked: log in again" : "wrong token",
      );
    }
    guard.succeeded(clientAddress(c));
    c.set("who", who);
    await next();
  };
}

/** Served over TLS (directly, or by a proxy that says so): the cookie gets Secure. */
const overTls = (c: Context) =>
  new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";

/** Compared against when no such user exists, so that an unknown name takes as long as a wrong password. */
let decoy: Promise<string> | undefined;

/** Whether `password` is `name`'s (false for an unknown name, after as long a check). */
async function passwordHolds(db: Db, name: string, password: string): Promise<string | false> {
  const user = userByName(db, name);
  decoy ??= Bun.password.hash(crypto.randomUUID(), "argon2id");
  const ok = await Bun.password.verify(password, user?.password_hash ?? (await decoy), "argon2id");
  return ok && user ? user.name : false;
}

/**
 * POST /api/login {name, password} or {token} starts a session (cookie); POST /api/logout ends it
 * on the server too. Failures are limited per address and, for a name, per user.
 */
export function sessionRoutes({ token, db, cookieName, guard, clocks }: AuthDeps) {
  const expected = digest(token);
  const now = () => clocks.now();
  return new Hono()
    .post("/login", async (c) => {
      const body = (await c.req.json().catch(() => null)) as {
        token?: unknown;
        name?: unknown;
        password?: unknown;
      } | null;
      const byName = typeof body?.name === "string" && body.name !== "";
      const name = byName ? String(body!.name).toLowerCase() : undefined;
      const refused = tooMany(c, guard, now, name);
      if (refused) return refused;
      let user: string | null | false;
      if (byName)
        user = typeof body?.password === "string" && (await passwordHolds(db, name!, body.password));
      else user = typeof body?.token === "string" && tokenMatches(body.token, expected) && null;
      if (user === false) {
        failure(
          c,
          guard,
          now,
          byName ? `failed login as ${JSON.stringify(name!.slice(0, 40))}` : "failed login",
          name,
        );
        return byName
          ? apiError(c, 401, "wrong name or password", { password: "does not match" })
          : apiError(c, 401, "wrong token", { token: "does not match" });
      }
      guard.succeeded(clientAddress(c));
      if (name !== undefined) guard.succeeded(userKey(name));
      c.set("who", user === null ? TOKEN_ADMIN : whoIs(userByName(db, user)!)); // for the audit log's entry
      const id = createSession(db, user, clientAddress(c), c.req.header("user-agent") ?? "", now());
      setCookie(c, cookieName, id, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
        maxAge: SESSION_DAYS * 86_400,
        secure: overTls(c),
      });
      return c.body(null, 204);
    })
    .post("/logout", (c) => {
      const id = getCookie(c, cookieName);
      if (id) revokeSession(db, id);
      deleteCookie(c, cookieName, { path: "/", secure: overTls(c) });
      return c.body(null, 204);
    });
}
