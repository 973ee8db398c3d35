import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { recordingById, recordingsBetween } from "../db/recordings.ts";
import { bucketsBetween, summaryBuckets } from "../db/rollups.ts";
import type { Recording } from "../db/schema.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { CameraParam, RangeQuery, RecordingIdParam, SummaryQuery } from "./schemas.ts";
import { summarizeByLocalHour } from "./summary.ts";

/** What the API shows of a recording: never its path; where it lives (`tier`: null for local storage). */
export function publicRecording(r: Recording) {
  const { id, camera, start_time, end_time, duration, motion, objects, segment_size, tier } = r;
  return { id, camera, start_time, end_time, duration, motion, objects, segment_size, tier };
}

export function cameraRecordingRoutes({ db }: Pick<ApiDeps, "db">) {
  return (
    new Hono()
      .get(
        "/:camera/recordings",
        vValidator("param", CameraParam, onInvalid),
        vValidator("query", RangeQuery, onInvalid),
        (c) => {
          const { camera } = c.req.valid("param");
          const { after, before, limit = 10_000 } = c.req.valid("query");
          return c.json(recordingsBetween(db, camera, after, before, limit).map(publicRecording));
        },
      )
      .get(
        "/:camera/recordings/summary",
        vValidator("param", CameraParam, onInvalid),
        vValidator("query", SummaryQuery, onInvalid),
        (c) => {
          const { camera } = c.req.valid("param");
          return c.json(summarizeByLocalHour(summaryBuckets(db, camera), c.req.valid("query").timezone));
        },
      )
      // The page's day view: quarter hours from the rollups, never the day's segments.
      .get(
        "/:camera/recordings/buckets",
        vValidator("param", CameraParam, onInvalid),
        vValidator("query", RangeQuery, onInvalid),
        (c) => {
          const { camera } = c.req.valid("param");
          const { after, before } = c.req.valid("query");
          return c.json(bucketsBetween(db, camera, after, before));
        },
      )
  );
}

export function recordingFileRoutes({ db, footage }: Pick<ApiDeps, "db" | "footage">) {
  return new Hono().get("/:id/file", vValidator("param", RecordingIdParam, onInvalid), async (c) => {
    const row = recordingById(db, c.req.valid("param").id);
    // Wherever it lives (docs/tiers.md): local storage, a folder tier, or streamed from a bucket.
    const res = row && (await footage.respond(row, c.req.raw));
    if (!res)
      return apiError(c, 404, row ? "the recording's copy cannot be reached now" : "no such recording");
    for (const [name, value] of [
      ["content-type", "video/mp4"],
      ["accept-ranges", "bytes"],
      ["cache-control", "private, max-age=3600"],
    ])
      res.headers.set(name!, value!);
    return res;
  });
}
