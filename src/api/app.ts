import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { noteJob } from "../log/current-job.ts";
import { logger } from "../log/log.ts";
import { activityRoutes } from "./activity.ts";
import { authenticate, sessionCookieName, sessionRoutes } from "./auth.ts";
import { authorize } from "./access.ts";
import { cameraListRoutes } from "./cameras.ts";
import { type Dispatch, publicShareRoutes, SHARE_CSS, shareRoutes } from "./shares.ts";
import { userRoutes } from "./users.ts";
import { allowedHosts, hostCheck, noStore, readOnly, securityHeaders } from "./guards.ts";
import { sessionListRoutes } from "./sessions.ts";
import { clipRoutes } from "./clip.ts";
import { evidenceRoutes } from "./evidence.ts";
import { caseRoutes } from "./cases.ts";
import { auditRequests, auditRoutes } from "./audit.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { metricsRoutes } from "./metrics.ts";
import { playbackRoutes } from "./playback.ts";
import { cameraRecordingRoutes, recordingFileRoutes } from "./recordings.ts";
import { statusRoutes } from "./status.ts";
import { reviewRoutes } from "./review.ts";
import { stillRoutes } from "./still.ts";

// The HTTP API's routes, middleware and errors, as one typed Hono chain.

const log = logger("api");

/** Body limits: activity batches can be large; everything else is small. */
const LIMIT = { activity: 8 << 20, other: 64 << 10 };

/**
 * The HTTP API (docs/api.md). Every route but /healthz, the page's files and share links needs the
 * bearer token or a session, and is held to the roles' rules (api/access.ts). One chain, so that
 * the app's type carries every route: the page's client is typed from it (CamkeepApi).
 * `page` answers the page's files ("/" its HTML; its scripts, styles and icon, which Bun bundles),
 * here so they get the headers too; undefined for a name it does not have.
 */
export function createApi(
  deps: ApiDeps,
  page: (path: string) => Promise<Response | undefined> = async () => undefined,
) {
  const tooLarge = (max: number) =>
    bodyLimit({ maxSize: max, onError: (c) => apiError(c, 413, `request body larger than ${max} bytes`) });
  const authDeps = {
    token: deps.token,
    db: deps.db,
    cookieName: sessionCookieName(deps.config.database),
    guard: deps.loginGuard,
    clocks: deps.clocks,
  };
  const auth = authenticate(authDeps);
  const access = authorize(deps);
  // A share link's requests are answered by this app itself, under the link's grant.
  const dispatch: Dispatch = (req, env) => app.fetch(req, env);
  const metrics = metricsRoutes(deps);
  const app = new Hono()
    .use(metrics.timer)
    .use(async (c, next) => {
      noteJob(`api: ${c.req.method} ${c.req.path}`); // what the watchdog names if this request holds the loop
      await next();
    })
    .use(securityHeaders())
    .use("/api/*", auditRequests(deps))
    .get("/healthz", (c) => {
      const { reasons } = deps.health.snapshot();
      return reasons.length
        ? c.json({ status: "unhealthy" as const, reasons }, 503)
        : c.json({ status: "ok" as const }, 200);
    })
    // Everything else answers only to names it knows (DNS rebinding); /healthz names nothing.
    .use(hostCheck(allowedHosts(deps.config.api.host, deps.config.api.allowedHosts)))
    .get("/", async (c) => {
      const res = await page("/");
      if (!res) return apiError(c, 404, "no page");
      return c.body(await res.arrayBuffer(), 200, {
        "content-type": res.headers.get("content-type") ?? "text/html;charset=utf-8",
        "cache-control": "no-cache",
      });
    })
    // The page's scripts, styles and icon: named by their content, so cached for good.
    .get("/:file{[A-Za-z0-9_-]+\\.(?:js|css|svg)}", async (c) => {
      const res = await page(c.req.path);
      if (!res) return apiError(c, 404, "not found");
      return c.body(await res.arrayBuffer(), 200, {
        "content-type": res.headers.get("content-type") ?? "application/octet-stream",
        "cache-control": "public, max-age=31536000, immutable",
      });
    })
    // Share links open without an account (docs/security.md#share-links): before the auth middleware.
    .get("/share.css", (c) => c.body(SHARE_CSS, 200, { "content-type": "text/css; charset=utf-8" }))
    .route("/share", publicShareRoutes(deps, dispatch))
    // Before the auth middleware: the page logs in with the token to get its cookie.
    .use("/api/login", tooLarge(LIMIT.other))
    .route("/api", sessionRoutes(authDeps))
    .use("/metrics", auth, access, noStore())
    .use("/api/*", auth, access, noStore(), readOnly(deps.viewer !== undefined))
    .use("/api/activity", tooLarge(LIMIT.activity))
    .use("/api/events/*", tooLarge(LIMIT.other))
    .use("/api/events", tooLarge(LIMIT.other))
    .use("/api/cases/*", tooLarge(LIMIT.other))
    .use("/api/cases", tooLarge(LIMIT.other))
    .use("/api/users/*", tooLarge(LIMIT.other))
    .use("/api/users", tooLarge(LIMIT.other))
    .use("/api/shares", tooLarge(LIMIT.other))
    .route("/metrics", metrics.routes)
    .route("/api/status", statusRoutes(deps))
    .route("/api/sessions", sessionListRoutes(deps))
    .route("/api/events", eventRoutes(deps))
    .route("/api/users", userRoutes(deps))
    .route("/api/shares", shareRoutes(deps))
    .route("/api/activity", activityRoutes(deps))
    .route("/api/cameras", cameraListRoutes(deps))
    .route("/api/cameras", cameraRecordingRoutes(deps))
    .route("/api/cameras", clipRoutes(deps))
    .route("/api/evidence", evidenceRoutes(deps))
    .route("/api/cases", caseRoutes(deps))
    .route("/api/audit", auditRoutes(deps))
    .route("/api/cameras", stillRoutes(deps))
    .route("/api/cameras", reviewRoutes(deps))
    .route("/api/recordings", recordingFileRoutes(deps))
    .route("/api", playbackRoutes(deps));

  app.notFound((c) => apiError(c, 404, "not found"));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return apiError(c, err.status as 400, err.message);
    log.error(`${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
    return apiError(c, 500, "internal error");
  });
  return app;
}

/** The API's routes and their request and response types, for Hono's typed client. */
export type CamkeepApi = ReturnType<typeof createApi>;
