import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { recordingsBetween } from "../db/recordings.ts";
import { logger } from "../log/log.ts";
import { redact } from "../log/redact.ts";
import { CONCAT_INPUT, concatList } from "../tiers/footage.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { CameraParam, ClipQuery } from "./schemas.ts";

// Clip export: one MP4 of a span, cut from the stored segments by ffmpeg without re-encoding.

const log = logger("export");

/** Longest export in one request. */
export const MAX_CLIP_SECONDS = 24 * 3600;

/**
 * One MP4 of [start, end] cut from the stored segments without re-encoding (docs/api.md).
 * ffmpeg's concat demuxer reads a list on stdin built from the index only (never from the
 * request), and writes fragmented MP4 to stdout, streamed as it comes. The first and last
 * segments are trimmed with inpoint/outpoint (at keyframes: the cut may start a little early).
 * When the client goes away, ffmpeg is killed.
 */
export function clipRoutes({ db, config, footage }: ApiDeps) {
  // Each export is an ffmpeg (tens of MB): api.max_exports at once, the rest told to wait.
  let running = 0;
  const stallMs = config.api.exportStallTimeout * 1000;
  return new Hono().get(
    "/:camera/clip.mp4",
    vValidator("param", CameraParam, onInvalid),
    vValidator("query", ClipQuery, onInvalid),
    (c) => {
      const { camera } = c.req.valid("param");
      const { start, end } = c.req.valid("query");
      if (end <= start) return apiError(c, 400, "invalid request", { end: "must be after start" });
      if (end - start > MAX_CLIP_SECONDS)
        return apiError(c, 400, "invalid request", {
          end: `an export spans at most ${MAX_CLIP_SECONDS / 3600} h`,
        });
      // Parts in tiers are read where they are: a folder tier's file, a bucket's presigned URL.
      const parts = recordingsBetween(db, camera, start, end, 100_000).flatMap((r) => {
        const source = r.end_time > start ? footage.source(r) : undefined;
        return source ? [{ ...r, source }] : [];
      });
      if (!parts.length) return apiError(c, 404, "no recordings in that range");
      if (running >= config.api.maxExports) {
        c.header("retry-after", "10");
        return apiError(c, 429, `${running} exports are running (api.max_exports); try again shortly`);
      }

      const list = concatList(
        parts.map((r, i) => ({
          source: r.source,
          extra: [
            ...(i === 0 && start > r.start_time ? [`inpoint ${(start - r.start_time).toFixed(3)}`] : []),
            ...(i === parts.length - 1 && end < r.end_time
              ? [`outpoint ${(end - r.start_time).toFixed(3)}`]
              : []),
          ],
        })),
      );
      const ffmpeg = Bun.spawn(
        [
          "ffmpeg",
          "-nostdin",
          "-v",
          "error",
          ...CONCAT_INPUT,
          "-map",
          "0",
          "-ignore_unknown",
          "-c",
          "copy",
          "-movflags",
          "frag_keyframe+empty_moov+default_base_moof",
          "-f",
          "mp4",
          "pipe:1",
        ],
        { stdin: new Blob([list]), stdout: "pipe", stderr: "pipe" },
      );
      running++;
      const stop = () => ffmpeg.kill("SIGKILL");
      // Either may tell that the client went away first: the request's abort signal, or the
      // response stream being cancelled.
      c.req.raw.signal.addEventListener("abort", stop, { once: true });
      void ffmpeg.exited.then(async (code) => {
        running--;
        clearTimeout(stalled);
        c.req.raw.signal.removeEventListener("abort", stop);
        if (code !== 0 && !c.req.raw.signal.aborted)
          log.error(
            `export of ${camera} failed (ffmpeg ${code}): ${redact((await new Response(ffmpeg.stderr).text()).slice(-500))}`,
          );
      });
      // Pull-based: ffmpeg writes only as fast as the client reads; a cancelled read kills it,
      // and so does a client that stops reading for api.export_stall_timeout.
      const reader = ffmpeg.stdout.getReader();
      let stalled: Timer | undefined;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          clearTimeout(stalled);
          const { done, value } = await reader.read();
          if (done) return controller.close();
          controller.enqueue(value);
          stalled = setTimeout(() => {
            log.warn(
              `export of ${camera}: the client read nothing for ${config.api.exportStallTimeout} s; cut`,
            );
            stop();
            controller.error(new Error("client stopped reading"));
          }, stallMs);
        },
        cancel: stop,
      });
      const name = `${camera}-${new Date(start * 1000).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.mp4`;
      return new Response(body, {
        headers: {
          "content-type": "video/mp4",
          "content-disposition": `attachment; filename="${name}"`,
          "cache-control": "no-store",
        },
      });
    },
  );
}
