import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { apiError } from "./errors.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** `Authorization: Bearer <token>`, compared in constant time (over digests, so lengths match). */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      c.header("www-authenticate", 'Bearer realm="camkeep"');
      return apiError(c, 401, m ? "wrong token" : "missing Authorization: Bearer <token> header");
    }
    await next();
  };
}
