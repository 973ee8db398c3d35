import { hostname } from "node:os";
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { isIP } from "node:net";
import { apiError } from "./errors.ts";

/**
 * The page's policy: everything from camkeep itself, nothing inline, never framed. Pictures
 * and video come from camkeep's own routes.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  mediaSrc: ["'self'", "blob:"], // the player's Media Source (docs/page.md); nothing else
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The usual security headers on every answer (docs/security.md), the page's CSP among them. */
export const securityHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    referrerPolicy: "no-referrer",
    strictTransportSecurity: false, // camkeep serves plain HTTP; a TLS proxy in front sets its own
    crossOriginResourcePolicy: "same-origin",
  });

/**
 * Answers behind the token are never kept by a browser's or a proxy's cache — but for those
 * that say they never change (content-addressed init segments), which the browser may keep.
 */
export const noStore = (): MiddlewareHandler => async (c, next) => {
  await next();
  if (!c.res.headers.get("cache-control")?.includes("immutable"))
    c.res.headers.set("cache-control", "no-store");
};

/**
 * The names the API answers to: loopback, the listen address, this machine's name, any IP
 * address, and `api.allowed_hosts`. A page elsewhere that points its own domain name at this
 * box (DNS rebinding) is refused, since its requests carry that name (docs/security.md).
 */
export function allowedHosts(listenHost: string, configured: readonly string[]): (host: string) => boolean {
  const names = new Set([
    "localhost",
    listenHost.toLowerCase(),
    hostname().toLowerCase(),
    `${hostname().toLowerCase()}.local`,
    ...configured.map((h) => h.toLowerCase()),
  ]);
  return (host) => {
    const name = host
      .toLowerCase()
      .replace(/:\d+$/, "")
      .replace(/^\[(.*)\]$/, "$1");
    return isIP(name) !== 0 || names.has(name) || name.endsWith(".localhost");
  };
}

export const hostCheck =
  (allowed: (host: string) => boolean): MiddlewareHandler =>
  async (c, next) => {
    const host = c.req.header("host") ?? "";
    if (!allowed(host))
      return apiError(
        c,
        403,
        `Host "${host.slice(0, 100)}" is not one camkeep answers to; add it to api.allowed_hosts`,
      );
    await next();
  };

/** A viewer (docs/archive.md#viewer-mode) changes nothing: only reads (and logging out) pass. */
export function readOnly(viewing: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (viewing && !["GET", "HEAD"].includes(c.req.method) && c.req.path !== "/api/logout")
      return apiError(c, 403, "this camkeep is a viewer: it shows its sites' footage and changes nothing");
    await next();
  };
}
