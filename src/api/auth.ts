import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { apiError } from "./errors.ts";

/** The page's session cookie: the token itself, HttpOnly, sent only to this origin. */
export const SESSION_COOKIE = "camkeep_session";
const SESSION_DAYS = 30;

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compared in constant time (over digests, so lengths match). */
function tokenMatches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/**
 * `Authorization: Bearer <token>`, or the page's session cookie (a <video> cannot send a
 * header, so the page logs in once and the browser sends the cookie).
 */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization");
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = m?.[1] ?? (header === undefined ? getCookie(c, SESSION_COOKIE) : undefined);
    if (given === undefined || !tokenMatches(given, expected)) {
      c.header("www-authenticate", 'Bearer realm="camkeep"');
      return apiError(c, 401, given === undefined ? "missing Authorization: Bearer <token> header" : "wrong token");
    }
    await next();
  };
}

/** POST /api/login {token} sets the session cookie; POST /api/logout clears it. */
export function sessionRoutes(token: string) {
  const expected = digest(token);
  return new Hono()
    .post("/login", async (c) => {
      const body = (await c.req.json().catch(() => null)) as { token?: unknown } | null;
      if (typeof body?.token !== "string" || !tokenMatches(body.token, expected)) return apiError(c, 401, "wrong token", { token: "does not match" });
      setCookie(c, SESSION_COOKIE, body.token, { httpOnly: true, sameSite: "Strict", path: "/", maxAge: SESSION_DAYS * 86_400 });
      return c.body(null, 204);
    })
    .post("/logout", (c) => {
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    });
}
