import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { recordingById, recordingsBetween } from "../db/recordings.ts";
import { planFragment } from "../media/mp4/fragment.ts";
import { mediaPlaylist } from "../playback/hls.ts";
import { partsStream } from "../playback/parts.ts";
import { planRuns, type PlayableSegment } from "../playback/runs.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import {
  CameraParam,
  FragmentQuery,
  InitParam,
  InitQuery,
  PlaylistQuery,
  RecordingIdParam,
} from "./schemas.ts";

// Footage back as HLS (fMP4): a playlist of a span, fragments made from stored segments, their inits.

/** The longest span one playlist covers. */
const MAX_SPAN_S = 24 * 3600;

export function playbackRoutes({ db, playback }: Pick<ApiDeps, "db" | "playback">) {
  return new Hono()
    .get(
      "/cameras/:camera/vod.m3u8",
      vValidator("param", CameraParam, onInvalid),
      vValidator("query", PlaylistQuery, onInvalid),
      async (c) => {
        const { camera } = c.req.valid("param");
        const { start, end, keys } = c.req.valid("query");
        if (end <= start) return apiError(c, 400, "invalid request", { end: "must be after start" });
        if (end - start > MAX_SPAN_S)
          return apiError(c, 400, "invalid request", { end: `at most ${MAX_SPAN_S} s after start` });
        const segments: PlayableSegment[] = [];
        for (const row of recordingsBetween(db, camera, start, end, Math.ceil(MAX_SPAN_S / 2))) {
          if (row.end_time <= start || row.start_time >= end) continue; // touching the span is not in it
          const s = await playback.summary(row);
          if (s)
            segments.push({
              id: row.id,
              start: row.start_time,
              duration: s.duration,
              init: keys ? s.keyInit : s.init,
            });
        }
        const view = keys ? "&keys=1" : "";
        const text = mediaPlaylist(
          planRuns(segments),
          {
            // Relative to .../cameras/<camera>/: the fragments and inits take the playlist's own authentication.
            init: (run) => `../../init/${run.init}.mp4?from=${run.initFrom}${view}`,
            fragment: (s, seq) =>
              `../../recordings/${s.id}/fragment.m4s?t=${s.at.toFixed(6)}&seq=${seq}${view}`,
          },
          end <= Date.now() / 1000,
        );
        return c.body(text, 200, { "content-type": "application/vnd.apple.mpegurl" });
      },
    )
    .get(
      "/recordings/:id/fragment.m4s",
      vValidator("param", RecordingIdParam, onInvalid),
      vValidator("query", FragmentQuery, onInvalid),
      async (c) => {
        const row = recordingById(db, c.req.valid("param").id);
        if (!row) return apiError(c, 404, "no such recording");
        const { t, seq, keys } = c.req.valid("query");
        const media = await playback.of(row);
        const bytes = media && (await playback.bytes(row));
        if (!media || !bytes) return apiError(c, 503, "the recording's footage cannot be reached now");
        const plan = planFragment(keys ? media.keyTracks : media.tracks, {
          sequence: seq + 1,
          startSeconds: t,
          keyframesOnly: !!keys,
        });
        // The moof, then the segment's own media bytes, streamed from where they lie: never held whole.
        // (Bun sends a stream body chunked, whatever length it is told: none is claimed.)
        const body = partsStream([
          { bytes: plan.head },
          ...plan.ranges.map(([start, end]) => ({ footage: bytes, start, end })),
        ]);
        return new Response(body, { headers: { "content-type": "video/mp4" } });
      },
    )
    .get(
      "/init/:name",
      vValidator("param", InitParam, onInvalid),
      vValidator("query", InitQuery, onInvalid),
      async (c) => {
        const { from, keys } = c.req.valid("query");
        const row = recordingById(db, from);
        const media = row && (await playback.of(row));
        const init = media && (keys ? media.keyInit : media.init);
        // Named by its content: the name asked for must be what the recording makes.
        if (!init || `${init.name}.mp4` !== c.req.valid("param").name)
          return apiError(c, 404, "no such init segment");
        return c.body(init.bytes as Uint8Array<ArrayBuffer>, 200, {
          "content-type": "video/mp4",
          "cache-control": "private, max-age=31536000, immutable",
          etag: `"${init.name}"`,
        });
      },
    );
}
