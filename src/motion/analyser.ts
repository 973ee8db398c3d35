import type { CameraMotion } from "../config/load.ts";
import { type Clocks, realClocks } from "../time/clocks.ts";
import type { ActivityFrame } from "../domain/activity.ts";
import { boxArea } from "../domain/geometry.ts";
import { inspectMp4 } from "../media/mp4/inspect.ts";
import { sampleToAnnexB, videoTrack, type VideoTrack } from "../media/mp4/samples.ts";
import { fileSource, Mp4Error } from "../media/mp4/source.ts";
import { KeyframeDecoder } from "./decoder.ts";
import { rasterise } from "./mask.ts";
import { MotionDetector } from "./detector.ts";

/** A segment's analysis: one frame per analysed picture, with its motion (objects: none). */
export type Analysis =
  | { ok: true; frames: ActivityFrame[]; boxes: number[][][]; sparse: boolean }
  | {
      ok: false;
      reason: string /** Not tried: the camera's decoder failed lately and rests. */;
      resting?: boolean;
    };

/** Denser key frames than this (all-intra streams) are thinned: motion needs about one picture a second. */
const MIN_SPACING_S = 0.5;
/** After a gap this long between a camera's segments, its background is learnt anew. */
const GAP_S = 60;
/** Key frames further apart than this can miss short motion: said in the analysis. */
export const SPARSE_KEYFRAMES_S = 2.5;

/** After two decoder failures in a row a camera's motion rests this long, doubling with each more, up to an hour. */
const REST_MIN_MS = 60_000;
const REST_MAX_MS = 3_600_000;

interface CameraState {
  key: string;
  decoder: KeyframeDecoder;
  detector: MotionDetector;
  lastEnd: number;
}

/**
 * A camera whose decoder failed: its segments are not analysed until `until` (epoch ms), so a
 * stream the decoder cannot read costs one time-out per rest, not one per segment (each would
 * hold the keeper's pass); its footage is judged without motion meanwhile (the fail-safe).
 */
interface Rest {
  until: number;
  failures: number;
  reason: string;
}

/**
 * camkeep's own motion judgement (docs/motion.md): for each segment, its key frames are read from
 * the MP4 in-process and fed to the camera's long-lived decoder; the small gray pictures that
 * come back go through the camera's detector. One decoder and one detector per camera, made
 * again when the codec, the picture size or the settings change.
 */
export class MotionAnalyser {
  private readonly cameras = new Map<string, CameraState>();
  private readonly resting = new Map<string, Rest>();

  constructor(
    private readonly clocks: Clocks = realClocks,
    /** How long a decoder may take to give a segment's pictures. */
    private readonly decodeTimeoutMs = 10_000,
  ) {}

  /** Analyses one segment of `camera` starting at `start` (epoch seconds). Never throws for the file's sake. */
  async analyse(camera: string, path: string, start: number, settings: CameraMotion): Promise<Analysis> {
    const rest = this.resting.get(camera);
    if (rest && this.clocks.now() * 1000 < rest.until)
      return {
        ok: false,
        resting: true,
        reason: `${rest.reason}; not analysed until ${new Date(rest.until).toISOString()}`,
      };
    let src: Awaited<ReturnType<typeof fileSource>>;
    try {
      src = await fileSource(path);
    } catch (e) {
      return { ok: false, reason: `cannot read: ${(e as Error).message}` };
    }
    try {
      const track = videoTrack(await inspectMp4(src));
      if (!track) return { ok: false, reason: "no video track" };
      if (!track.keyframes.length) return { ok: false, reason: "no key frames" };
      const state = this.state(camera, track, settings);
      if (start - state.lastEnd > GAP_S || start < state.lastEnd - GAP_S) state.detector.reset();
      const chosen = thin(track.keyframes);
      const units: Uint8Array[] = [];
      for (const k of chosen)
        units.push(
          concat(track.parameterSets, sampleToAnnexB(await src.read(k.offset, k.size), track.nalLengthSize)),
        );
      const pictures = await state.decoder.decode(units);
      if (!pictures) return this.rest(camera, `the ${track.codec} decoder could not decode its key frames`);
      this.resting.delete(camera);
      const frames: ActivityFrame[] = [];
      const boxes: number[][][] = [];
      pictures.forEach((picture, i) => {
        const result = state.detector.analyse(picture);
        frames.push({
          t: start + chosen[i]!.time,
          motion: result.boxes.reduce((sum, b) => sum + boxArea(b), 0),
          objects: 0,
        });
        boxes.push(result.boxes);
      });
      state.lastEnd = start + (chosen.at(-1)?.time ?? 0);
      return { ok: true, frames, boxes, sparse: track.keyframeInterval > SPARSE_KEYFRAMES_S };
    } catch (e) {
      if (e instanceof Mp4Error) return { ok: false, reason: e.message };
      return { ok: false, reason: `cannot read: ${(e as Error).message}` };
    } finally {
      await src.close();
    }
  }

  private rest(camera: string, reason: string): Analysis {
    const failures = (this.resting.get(camera)?.failures ?? 0) + 1;
    // One bad segment is the segment's fault: the next is tried. Two in a row are the stream's.
    if (failures < 2) {
      this.resting.set(camera, { until: 0, failures, reason });
      return { ok: false, reason };
    }
    const ms = Math.min(REST_MAX_MS, REST_MIN_MS * 2 ** (failures - 2));
    this.resting.set(camera, { until: this.clocks.now() * 1000 + ms, failures, reason });
    return {
      ok: false,
      reason: `${reason}; motion rests ${Math.round(ms / 1000)} s (its footage is judged without it)`,
    };
  }

  /** Stops every decoder. */
  close(): void {
    for (const s of this.cameras.values()) s.decoder.close();
    this.cameras.clear();
  }

  private state(camera: string, track: VideoTrack, settings: CameraMotion): CameraState {
    const height = settings.frame_height;
    // Even sizes: the scaler and every pixel format are happy with them.
    const width = Math.max(2, Math.round(((track.width / Math.max(1, track.height)) * height) / 2) * 2);
    const key = JSON.stringify([track.codec, width, height, settings]);
    let state = this.cameras.get(camera);
    if (state?.key !== key) {
      state?.decoder.close();
      const mask = settings.mask.length ? rasterise(settings.mask, width, height) : undefined;
      state = {
        key,
        decoder: new KeyframeDecoder(track.codec, width, height, this.decodeTimeoutMs),
        detector: new MotionDetector(width, height, settings, mask),
        lastEnd: -Infinity,
      };
      this.cameras.set(camera, state);
    }
    return state;
  }
}

/** Key frames at least MIN_SPACING_S apart. */
function thin<T extends { time: number }>(keyframes: readonly T[]): T[] {
  const out: T[] = [];
  for (const k of keyframes) if (!out.length || k.time - out.at(-1)!.time >= MIN_SPACING_S) out.push(k);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
