import { Hono } from "hono";
import { visibleCameras } from "../people/access.ts";
import type { ApiDeps } from "./deps.ts";
import { whoOf } from "./access.ts";
import { knownCameras } from "../db/totals.ts";
import { cameraStatus } from "./status.ts";

// GET /api/cameras: who the caller is and the cameras they may see, each as the status shows it
// (docs/api.md#cameras). What the page of a viewer is built from; an admin's page adds /api/status.

export function cameraListRoutes(deps: ApiDeps) {
  return new Hono().get("/", (c) => {
    const who = whoOf(c);
    const now = Date.now() / 1000;
    const forecast = deps.forecast.get();
    const names = visibleCameras(who, knownCameras(deps));
    return c.json({
      me: { name: who.name, role: who.kind === "viewer" ? ("viewer" as const) : ("admin" as const) },
      health: deps.health.snapshot().reasons.length ? ("unhealthy" as const) : ("ok" as const),
      cameras: Object.fromEntries(names.map((name) => [name, cameraStatus(deps, name, now, forecast)])),
    });
  });
}
