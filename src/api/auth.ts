import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../db/open.ts";
import { createSession, revokeSession, SESSION_DAYS, sessionValid } from "../db/sessions.ts";
import { logger } from "../log/log.ts";
import { apiError } from "./errors.ts";
import type { LoginGuard } from "./login-guard.ts";

// Who may use the API: the bearer token or the page's session, with failed attempts limited.

const log = logger("auth");

export interface AuthDeps {
  token: string;
  db: Db;
  /** The session cookie's name: one per camkeep, so two on one host do not meet. */
  cookieName: string;
  guard: LoginGuard;
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

const now = () => Date.now() / 1000;

/** Refuses an address that failed too often (429 with Retry-After); undefined when it may try. */
function tooMany(c: Context, guard: LoginGuard) {
  const wait = guard.waitFor(clientAddress(c), now());
  if (!wait) return undefined;
  c.header("retry-after", String(wait));
  return apiError(c, 429, `too many failed attempts from this address; try again in ${wait} s`);
}

function failure(c: Context, guard: LoginGuard, what: string): void {
  const address = clientAddress(c);
  guard.failed(address, now());
  log.warn(`${what} from ${address} (${c.req.method} ${c.req.path})`); // never the token itself
}

/**
 * `Authorization: Bearer <token>`, or the page's session cookie (a <video> cannot send a
 * header). The cookie holds a random session id, never the token.
 */
export function bearerAuth({ token, db, cookieName, guard }: AuthDeps): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const refused = tooMany(c, guard);
    if (refused) return refused;
    const header = c.req.header("authorization");
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const session = header === undefined ? getCookie(c, cookieName) : undefined;
    const ok =
      bearer !== undefined
        ? tokenMatches(bearer, expected)
        : session !== undefined && sessionValid(db, session, now());
    if (!ok) {
      c.header("www-authenticate", 'Bearer realm="camkeep"');
      if (header === undefined && session === undefined)
        return apiError(c, 401, "missing Authorization: Bearer <token> header");
      failure(c, guard, session !== undefined ? "unknown or expired session" : "wrong token");
      return apiError(
        c,
        401,
        session !== undefined ? "session expired or revoked: log in again" : "wrong token",
      );
    }
    guard.succeeded(clientAddress(c));
    await next();
  };
}

/** Served over TLS (directly, or by a proxy that says so): the cookie gets Secure. */
const overTls = (c: Context) =>
  new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";

/** POST /api/login {token} starts a session (cookie); POST /api/logout ends it on the server too. */
export function sessionRoutes({ token, db, cookieName, guard }: AuthDeps) {
  const expected = digest(token);
  return new Hono()
    .post("/login", async (c) => {
      const refused = tooMany(c, guard);
      if (refused) return refused;
      const body = (await c.req.json().catch(() => null)) as { token?: unknown } | null;
      if (typeof body?.token !== "string" || !tokenMatches(body.token, expected)) {
        failure(c, guard, "failed login");
        return apiError(c, 401, "wrong token", { token: "does not match" });
      }
      guard.succeeded(clientAddress(c));
      const id = createSession(db, clientAddress(c), c.req.header("user-agent") ?? "", now());
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
