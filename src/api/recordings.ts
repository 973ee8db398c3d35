import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { existsSync } from "node:fs";
import { resolve, sep } from "node:path";
import { recordingById, recordingsBetween } from "../db/recordings.ts";
import { bucketsBetween, summaryBuckets } from "../db/rollups.ts";
import type { Recording } from "../db/schema.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { CameraParam, RangeQuery, RecordingIdParam, SummaryQuery } from "./schemas.ts";
import { summarizeByLocalHour } from "./summary.ts";

/** What the API shows of a recording: never its path. */
export function publicRecording(r: Recording) {
  const { id, camera, start_time, end_time, duration, motion, objects, segment_size } = r;
  return { id, camera, start_time, end_time, duration, motion, objects, segment_size };
}

/** A stored file's path, only when it really lies inside storage (the index is trusted, but checked). */
export function insideStorage(root: string, path: string): string | undefined {
  const full = resolve(path);
  return full.startsWith(resolve(root) + sep) && existsSync(full) ? full : undefined;
}

export function cameraRecordingRoutes({ db }: ApiDeps) {
  return new Hono()
    .get("/:camera/recordings", vValidator("param", CameraParam, onInvalid), vValidator("query", RangeQuery, onInvalid), (c) => {
      const { camera } = c.req.valid("param");
      const { after = 0, before = Number.MAX_SAFE_INTEGER, limit = 10_000 } = c.req.valid("query");
      if (before < after) return apiError(c, 400, "invalid request", { before: "must not be before after" });
      return c.json(recordingsBetween(db, camera, after, before, limit).map(publicRecording));
    })
    .get("/:camera/recordings/summary", vValidator("param", CameraParam, onInvalid), vValidator("query", SummaryQuery, onInvalid), (c) => {
      const { camera } = c.req.valid("param");
      return c.json(summarizeByLocalHour(summaryBuckets(db, camera), c.req.valid("query").timezone));
    })
    // The page's day view: quarter hours from the rollups, never the day's segments.
    .get("/:camera/recordings/buckets", vValidator("param", CameraParam, onInvalid), vValidator("query", RangeQuery, onInvalid), (c) => {
      const { camera } = c.req.valid("param");
      const { after = 0, before = Number.MAX_SAFE_INTEGER } = c.req.valid("query");
      if (before < after) return apiError(c, 400, "invalid request", { before: "must not be before after" });
      return c.json(bucketsBetween(db, camera, after, before));
    });
}

export function recordingFileRoutes({ db, config }: ApiDeps) {
  return new Hono().get("/:id/file", vValidator("param", RecordingIdParam, onInvalid), (c) => {
    const row = recordingById(db, c.req.valid("param").id);
    const path = row && insideStorage(config.recordingsDir, row.path);
    if (!row || !path) return apiError(c, 404, "no such recording");
    // Bun answers Range (206/416) itself for a file body. The explicit length survives Hono's
    // HEAD handling, which answers HEAD with the GET response minus its body.
    const file = Bun.file(path);
    return new Response(file, {
      headers: { "content-type": "video/mp4", "content-length": String(file.size), "accept-ranges": "bytes", "cache-control": "private, max-age=3600" },
    });
  });
}
