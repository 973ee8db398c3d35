import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import * as v from "valibot";
import { recordingsBetween } from "../db/recordings.ts";
import { motionPeriods } from "../playback/motion-periods.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { CameraParam, RangeQuery, epochQuery } from "./schemas.ts";

// What the page reviews footage by: the periods with motion, and a picture of any moment.

/** The longest span asked for at once: a day of 2 s segments. */
const MAX_SEGMENTS = 50_000;
/** A picture is of the moment asked, or of the footage nearest to it within this (seconds). */
const NEAR_S = 900;

export function reviewRoutes({ db, previews }: Pick<ApiDeps, "db" | "previews">) {
  return new Hono()
    .get(
      "/:camera/motion",
      vValidator("param", CameraParam, onInvalid),
      vValidator("query", RangeQuery, onInvalid),
      (c) => {
        const { camera } = c.req.valid("param");
        const { after, before } = c.req.valid("query");
        return c.json(motionPeriods(recordingsBetween(db, camera, after, before, MAX_SEGMENTS)));
      },
    )
    .get(
      "/:camera/preview.jpg",
      vValidator("param", CameraParam, onInvalid),
      vValidator("query", v.object({ t: epochQuery }), onInvalid),
      async (c) => {
        const { camera } = c.req.valid("param");
        const { t } = c.req.valid("query");
        // The segment showing `t`, or else the nearest within a quarter hour (the pointer in a gap).
        const after = recordingsBetween(db, camera, t, t + NEAR_S, 4).find((r) => r.end_time > t);
        const before = recordingsBetween(db, camera, t - NEAR_S, t, MAX_SEGMENTS).at(-1);
        const row =
          after && (after.start_time <= t || !before || after.start_time - t < t - before.end_time)
            ? after
            : before;
        if (!row) return apiError(c, 404, "no footage at that moment");
        const jpeg = await previews.of(row);
        if (!jpeg) return apiError(c, 404, "no picture could be made of that moment");
        return c.body(jpeg as Uint8Array<ArrayBuffer>, 200, {
          "content-type": "image/jpeg",
          "x-camkeep-recording": row.id,
        });
      },
    );
}
