import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { ActivityReport } from "./schemas.ts";

/** Per-frame activity from a detector (docs/retention.md), queued for the maintainer. */
export function activityRoutes({ config, activity, stats }: Pick<ApiDeps, "config" | "activity" | "stats">) {
  return new Hono().post("/", vValidator("json", ActivityReport, onInvalid), (c) => {
    const { camera, frames } = c.req.valid("json");
    if (!config.cameras[camera]?.record.enabled) {
      stats.ignoredActivityFrames += frames.length;
      return c.json(
        { accepted: 0, ignored: frames.length, reason: "camera not configured or not recording" },
        202,
      );
    }
    if (!activity.report(camera, frames))
      return apiError(c, 503, "activity queue full: the maintainer is behind; retry later");
    return c.json({ accepted: frames.length, ignored: 0 }, 202);
  });
}
