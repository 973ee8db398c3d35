import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import * as v from "valibot";
import { newestRecording } from "../db/recordings.ts";
import { firstPicture } from "../playback/picture.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { CameraParam } from "./schemas.ts";

/** A still is made again at most this often per camera, however often it is asked for. */
const REMAKE_MS = 60_000;

interface Still {
  recording: string;
  madeAt: number;
  jpeg?: Uint8Array;
}

/**
 * The newest stored segment's first picture as a small JPEG, for the overview's camera cards.
 * Made by one ffmpeg run when footage newer than the cached picture exists and the cached one
 * is a minute old: polling the page spawns nothing.
 */
export function stillRoutes({ db, footage }: Pick<ApiDeps, "db" | "footage">) {
  const stills = new Map<string, Still>();
  const making = new Map<string, Promise<Still>>();
  const make = async (camera: string, recording: string, source: string): Promise<Still> => {
    const still = { recording, madeAt: Date.now(), jpeg: await firstPicture(source, 180) };
    stills.set(camera, still);
    return still;
  };
  return new Hono().get(
    "/:camera/still.jpg",
    vValidator("param", CameraParam, onInvalid),
    vValidator("query", v.object({ v: v.optional(v.string()) }), onInvalid),
    async (c) => {
      const { camera } = c.req.valid("param");
      const newest = newestRecording(db, camera);
      const path = newest && footage.source(newest);
      if (!newest || !path) return apiError(c, 404, "no footage stored for that camera");
      let still = stills.get(camera);
      if (!still || (still.recording !== newest.id && Date.now() - still.madeAt >= REMAKE_MS)) {
        let pending = making.get(camera);
        if (!pending) {
          pending = make(camera, newest.id, path).finally(() => making.delete(camera));
          making.set(camera, pending);
        }
        still = await pending;
      }
      if (!still.jpeg) return apiError(c, 404, "no picture could be made from the newest footage");
      return c.body(still.jpeg as Uint8Array<ArrayBuffer>, 200, {
        "content-type": "image/jpeg",
        "cache-control": "private, max-age=60",
      });
    },
  );
}
