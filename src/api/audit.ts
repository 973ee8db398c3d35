import { vValidator } from "@hono/valibot-validator";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import * as v from "valibot";
import { auditAfter } from "../db/audit.ts";
import { clientAddress } from "./auth.ts";
import type { ApiDeps } from "./deps.ts";
import { onInvalid } from "./errors.ts";
import { limitQuery } from "./schemas.ts";

// What the audit log hears from the API (docs/evidence.md#the-audit-log): logins, footage
// viewed, exports, cases, keeps, users and share links — recorded once the answer is known, from one
// place, with who did it (a user's name, the token's admin, or the share link).

type Described = { action: string; detail: Record<string, unknown> } | undefined;

/** The entry a request makes, if any: by method and path, once answered with `status`. */
async function describe(c: Context): Promise<Described> {
  const { method } = c.req;
  const path = c.req.path;
  const status = c.res.status;
  const q = (name: string) => c.req.query(name);
  const whole = !c.req.header("range") || /^bytes=0-/.test(c.req.header("range")!); // one entry per download, not per Range
  if (method === "POST" && path === "/api/login") {
    const name = ((await c.req.json().catch(() => ({}))) as { name?: unknown }).name;
    const detail = typeof name === "string" && name ? { name: name.slice(0, 40) } : {};
    return { action: status < 400 ? "login" : "failed login", detail };
  }
  if (method === "POST" && path === "/api/logout") return { action: "logout", detail: {} };
  if (status === 401 && c.req.header("authorization")) return { action: "failed login", detail: { path } };
  if (status >= 400) return undefined;
  let m = /^\/api\/cameras\/([^/]+)\/(vod\.m3u8|clip\.mp4)$/.exec(path);
  if (method === "GET" && m && whole)
    return m[2] === "vod.m3u8"
      ? {
          action: "footage viewed",
          detail: { camera: m[1], start: Number(q("start")), end: Number(q("end")) },
        }
      : {
          action: q("signed") === "1" ? "signed export" : "export",
          detail: { camera: m[1], start: Number(q("start")), end: Number(q("end")), note: q("note") ?? "" },
        };
  m = /^\/api\/recordings\/([^/]+)\/file$/.exec(path);
  if (method === "GET" && m && whole) return { action: "footage viewed", detail: { recording: m[1] } };
  if (method === "POST" && path === "/api/cases") {
    const made = (await c.res.clone().json()) as { id: string; title: string; spans: unknown[] };
    return { action: "case created", detail: { case: made.id, title: made.title, spans: made.spans } };
  }
  // (a case's export records itself before it is written: its entry is in the file)
  m = /^\/api\/cases\/([0-9a-f]{16})$/.exec(path);
  if (m && method === "PATCH")
    return { action: "case changed", detail: { case: m[1], change: await c.req.json() } };
  if (method === "POST" && path === "/api/users") {
    const { password: _, ...user } = (await c.req.json()) as Record<string, unknown>;
    return { action: "user added", detail: user };
  }
  m = /^\/api\/users\/([^/]+)$/.exec(path);
  if (m && method === "PATCH") {
    const { password, ...change } = (await c.req.json()) as Record<string, unknown>;
    return {
      action: "user changed",
      detail: { name: m[1], change: password === undefined ? change : { ...change, password: "(new)" } },
    };
  }
  if (m && method === "DELETE") return { action: "user removed", detail: { name: m[1] } };
  if (method === "POST" && path === "/api/shares") {
    const { id, camera, start, end, expires_at, max_uses } = (await c.res.clone().json()) as Record<
      string,
      unknown
    >;
    return { action: "share created", detail: { share: id, camera, start, end, expires_at, max_uses } };
  }
  m = /^\/api\/shares\/([0-9a-f]{16})$/.exec(path);
  if (m && method === "DELETE") return { action: "share revoked", detail: { share: m[1] } };
  m = /^\/api\/events\/([^/]+)$/.exec(path);
  if (m && method === "PATCH")
    return { action: "event changed", detail: { event: m[1], change: await c.req.json() } };
  return undefined;
}

/** Records what each request did, after it is answered. */
export function auditRequests({ audit }: Pick<ApiDeps, "audit">): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const described = await describe(c).catch(() => undefined);
    if (described)
      audit.record({ actor: c.get("who")?.name ?? "unknown", address: clientAddress(c), ...described });
  };
}

const AuditQuery = v.object({
  after: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "must be an entry id"), v.transform(Number)), "0"),
  limit: v.optional(limitQuery(10_000), "1000"),
});

/** GET /api/audit: the entries after `after`, oldest first, each with its hashes. */
export function auditRoutes({ db, audit }: Pick<ApiDeps, "db" | "audit">) {
  return new Hono().get("/", vValidator("query", AuditQuery, onInvalid), (c) => {
    audit.flush(); // what happened up to this request is in the answer
    const { after, limit } = c.req.valid("query");
    return c.json(auditAfter(db, Number(after), Number(limit)));
  });
}
