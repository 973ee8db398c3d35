import { fstatSync } from "node:fs";
import { logger } from "../log/log.ts";
import type { MediaEngine, Probe } from "./engine.ts";
import { writeFaststart } from "./mp4/faststart.ts";
import { inspectMp4, type Mp4Layout } from "./mp4/inspect.ts";
import { fileSource, Mp4Error, type ByteSource } from "./mp4/source.ts";

// The native media engine: MP4 in-process, ffmpeg for what it declines (counted).

const log = logger("media");

/** How often each path did the work, for metrics. */
export interface MediaCounters {
  nativeProbes: number;
  nativeCopies: number;
  fallbackProbes: number;
  fallbackCopies: number;
}

/**
 * The media step in-process (no process spawned per segment): validate and measure the MP4,
 * write the moov-first copy. What it does not understand goes to `fallback` (ffprobe/ffmpeg),
 * counted; a file that the fallback cannot read either is corrupt, as before.
 */
export function nativeEngine(fallback: MediaEngine): MediaEngine & { counters: MediaCounters } {
  const counters: MediaCounters = { nativeProbes: 0, nativeCopies: 0, fallbackProbes: 0, fallbackCopies: 0 };
  // The maintainer probes a segment, then copies it: keep the last inspection for the copy.
  let last: { key: string; layout: Mp4Layout } | undefined;
  const inspect = async (path: string, src: ByteSource & { fd: number }) => {
    const key = `${path}:${src.size}:${fstatSync(src.fd).mtimeMs}`;
    if (last?.key !== key) last = { key, layout: await inspectMp4(src) };
    return last.layout;
  };
  const declined = (path: string, e: unknown) => {
    if (!(e instanceof Mp4Error)) throw e; // an I/O error is not a format question
    log.debug(`${path}: native path declined (${e.kind}: ${e.message}); using ffmpeg`);
  };
  return {
    counters,
    async probeDuration(path): Promise<Probe> {
      try {
        const src = await fileSource(path);
        try {
          const { duration } = await inspect(path, src);
          counters.nativeProbes++;
          return { kind: "ok", duration };
        } finally {
          await src.close();
        }
      } catch (e) {
        // Opening or reading failed (EMFILE, EIO, ...): nothing is known of the content.
        if (!(e instanceof Mp4Error))
          return { kind: "failed", reason: `cannot read ${path}: ${(e as Error).message}` };
        declined(path, e);
      }
      counters.fallbackProbes++;
      return fallback.probeDuration(path);
    },
    async faststartCopy(from, to) {
      const src = await fileSource(from);
      try {
        const sha256 = await writeFaststart(src, await inspect(from, src), to);
        counters.nativeCopies++;
        return sha256;
      } catch (e) {
        declined(from, e);
      } finally {
        await src.close();
      }
      counters.fallbackCopies++;
      return fallback.faststartCopy(from, to);
    },
  };
}
