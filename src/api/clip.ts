import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { recordingsBetween } from "../db/recordings.ts";
import { logger } from "../log/log.ts";
import { redact } from "../log/redact.ts";
import { planClip } from "../playback/clip.ts";
import { planTimelapse } from "../playback/timelapse.ts";
import { rangedResponse, type Ranged } from "../storage/ranged.ts";
import { partsStream } from "../playback/parts.ts";
import { CONCAT_INPUT, concatList } from "../tiers/footage.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { clientAddress } from "./auth.ts";
import { whoOf } from "./access.ts";
import { signClip } from "../evidence/signed-clip.ts";
import { CameraParam, ClipQuery, TimelapseQuery } from "./schemas.ts";

// Clip export: one MP4 of a span, built from the index at once (playback/clip.ts), or cut by ffmpeg
// where the native path cannot go (the span changes codec configuration).

const log = logger("export");

/** Longest export in one request. */
export const MAX_CLIP_SECONDS = 24 * 3600;
/** Longest time-lapse in one request (it reads a segment's index per step: a week at 1000× reads a quarter of them). */
const MAX_TIMELAPSE_SECONDS = 7 * 86_400;

/**
 * One MP4 of [start, end] cut from the stored segments without re-encoding (docs/api.md).
 * ffmpeg's concat demuxer reads a list on stdin built from the index only (never from the
 * request), and writes fragmented MP4 to stdout, streamed as it comes. The first and last
 * segments are trimmed with inpoint/outpoint (at keyframes: the cut may start a little early).
 * When the client goes away, ffmpeg is killed.
 */
export function clipRoutes({
  db,
  config,
  footage,
  playback,
  identity,
}: Pick<ApiDeps, "db" | "config" | "footage" | "playback" | "identity">) {
  // Each export is an ffmpeg (tens of MB): api.max_exports at once, the rest told to wait.
  let running = 0;
  const stallMs = config.api.exportStallTimeout * 1000;
  return new Hono()
    .get(
      "/:camera/timelapse.mp4",
      vValidator("param", CameraParam, onInvalid),
      vValidator("query", TimelapseQuery, onInvalid),
      async (c) => {
        const { camera } = c.req.valid("param");
        const { start, end, speed, duration } = c.req.valid("query");
        if (end <= start) return apiError(c, 400, "invalid request", { end: "must be after start" });
        if (end - start > MAX_TIMELAPSE_SECONDS)
          return apiError(c, 400, "invalid request", {
            end: `a time-lapse spans at most ${MAX_TIMELAPSE_SECONDS / 86_400} days`,
          });
        const rate = Math.min(3600, Math.max(10, speed ?? (end - start) / duration!));
        const rows = recordingsBetween(db, camera, start, end, 200_000);
        const plan = await planTimelapse(rows, start, end, rate, playback);
        if (!plan) return apiError(c, 404, "no key frames of one video configuration in that range");
        const name = `${camera}-${new Date(start * 1000).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z-timelapse-${Math.round(rate)}x.mp4`;
        return answerClip(
          c.req.raw,
          { size: plan.size, etag: plan.etag, stream: (a, b) => partsStream(plan.parts, a, b) },
          name,
        );
      },
    )
    .get(
      "/:camera/clip.mp4",
      vValidator("param", CameraParam, onInvalid),
      vValidator("query", ClipQuery, onInvalid),
      async (c) => {
        const { camera } = c.req.valid("param");
        const { start, end, signed, note } = c.req.valid("query");
        if (end <= start) return apiError(c, 400, "invalid request", { end: "must be after start" });
        if (end - start > MAX_CLIP_SECONDS)
          return apiError(c, 400, "invalid request", {
            end: `an export spans at most ${MAX_CLIP_SECONDS / 3600} h`,
          });
        const name = `${camera}-${new Date(start * 1000).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.mp4`;
        const rows = recordingsBetween(db, camera, start, end, 100_000).filter(
          (r) => r.end_time > start && r.start_time < end,
        );
        // media.engine: ffmpeg means ffmpeg for everything, exports too.
        const native =
          config.media.engine === "ffmpeg" ? undefined : await planClip(rows, start, end, playback);
        if (native && signed === "1") {
          const clip = signClip(db, await identity(), native, {
            camera,
            start,
            end,
            exportedBy: `${whoOf(c).name} from ${clientAddress(c)}`,
            note: note ?? "",
          });
          return answerClip(c.req.raw, clip, name.replace(/\.mp4$/, "-signed.mp4"));
        }
        if (native)
          return answerClip(
            c.req.raw,
            { size: native.size, etag: native.etag, stream: (a, b) => partsStream(native.parts, a, b) },
            name,
          );
        if (signed === "1" && rows.length)
          return apiError(c, 422, "cannot sign this span", {
            signed:
              config.media.engine === "ffmpeg"
                ? "signed exports need media.engine: native"
                : "the span changes codec configuration: export it in parts, each signed",
          });
        // Parts in tiers are read where they are: a folder tier's file, a bucket's presigned URL.
        const parts = rows.flatMap((r) => {
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
        return new Response(body, {
          headers: {
            "content-type": "video/mp4",
            "content-disposition": `attachment; filename="${name}"`,
            "cache-control": "no-store",
            "x-camkeep-export":
              config.media.engine === "ffmpeg"
                ? "ffmpeg (media.engine)"
                : "ffmpeg (the span changes codec configuration)",
          },
        });
      },
    );
}

/** An export answered as a file is: its length up front, Range, an ETag (storage/ranged.ts). */
function answerClip(req: Request, body: Ranged, name: string): Response {
  return rangedResponse(req, body, {
    "content-type": "video/mp4",
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-store",
  });
}
