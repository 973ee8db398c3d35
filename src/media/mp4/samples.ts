import { childBoxes, type Box } from "./boxes.ts";
import type { Mp4Layout } from "./inspect.ts";
import { Mp4Error } from "./source.ts";
import { readTracks, type Track } from "./tracks.ts";

/** A video track's codec and what a decoder needs to start: its parameter sets, in Annex-B. */
export interface VideoTrack {
  codec: "h264" | "hevc";
  width: number;
  height: number;
  /** SPS/PPS (and VPS for HEVC), each after a start code. */
  parameterSets: Uint8Array;
  /** Bytes of the length before each NAL unit in a sample (1, 2 or 4). */
  nalLengthSize: number;
  /** Key (sync) samples in decode order: presentation time in seconds from the track's start, where they lie. */
  keyframes: { time: number; offset: number; size: number }[];
  /** Seconds between the first and last key sample, over their count: how sparse they are. */
  keyframeInterval: number;
}

const START_CODE = [0, 0, 0, 1];

/**
 * The first video track of an MP4 the native path accepted, with its key samples: what motion
 * analysis feeds a long-lived decoder, without ffmpeg reading the file. Undefined when the
 * file has no video track; Mp4Error for a codec other than H.264/H.265.
 */
export function videoTrack(layout: Mp4Layout): VideoTrack | undefined {
  const track = readTracks(layout).find((t) => t.handler === "vide");
  return track && readVideoTrack(track);
}

function readVideoTrack(track: Track): VideoTrack {
  const b = track.stsd;
  const entry = childBoxes(b, 16, b.length)[0]!; // after stsd's header, version, flags and count
  const codec =
    entry.type === "avc1" || entry.type === "avc3"
      ? "h264"
      : entry.type === "hvc1" || entry.type === "hev1"
        ? "hevc"
        : undefined;
  if (!codec) throw new Mp4Error("unsupported", `video codec '${entry.type}'`);
  // VisualSampleEntry: 8 bytes SampleEntry, 16 reserved, then width and height (16 bits each); 78 bytes before child boxes.
  const at = entry.start + entry.header;
  const width = (b[at + 24]! << 8) | b[at + 25]!;
  const height = (b[at + 26]! << 8) | b[at + 27]!;
  const config = childBoxes(b, at + 78, entry.start + entry.size).find(
    (c) => c.type === (codec === "h264" ? "avcC" : "hvcC"),
  );
  if (!config)
    throw new Mp4Error("invalid", `${entry.type} without its ${codec === "h264" ? "avcC" : "hvcC"}`);
  const { parameterSets, nalLengthSize } = codec === "h264" ? avcConfig(b, config) : hevcConfig(b, config);

  const keyframes = keySamples(track);
  const span = keyframes.length > 1 ? keyframes.at(-1)!.time - keyframes[0]!.time : 0;
  return {
    codec,
    width,
    height,
    parameterSets,
    nalLengthSize,
    keyframes,
    keyframeInterval: keyframes.length > 1 ? span / (keyframes.length - 1) : Infinity,
  };
}

/** AVCDecoderConfigurationRecord: SPS and PPS lists. */
function avcConfig(b: Uint8Array, box: Box) {
  let at = box.start + box.header;
  const nalLengthSize = (b[at + 4]! & 3) + 1;
  const sets: Uint8Array[] = [];
  at += 5;
  for (const mask of [0x1f, 0xff]) {
    const count = b[at++]! & mask;
    for (let i = 0; i < count; i++) {
      const len = (b[at]! << 8) | b[at + 1]!;
      sets.push(bytes(b, at + 2, len, box));
      at += 2 + len;
    }
  }
  return { parameterSets: annexB(sets), nalLengthSize };
}

/** HEVCDecoderConfigurationRecord: arrays of VPS, SPS, PPS (and SEI). */
function hevcConfig(b: Uint8Array, box: Box) {
  let at = box.start + box.header;
  const nalLengthSize = (b[at + 21]! & 3) + 1;
  const arrays = b[at + 22]!;
  at += 23;
  const sets: Uint8Array[] = [];
  for (let a = 0; a < arrays; a++) {
    const count = (b[at + 1]! << 8) | b[at + 2]!;
    at += 3;
    for (let i = 0; i < count; i++) {
      const len = (b[at]! << 8) | b[at + 1]!;
      sets.push(bytes(b, at + 2, len, box));
      at += 2 + len;
    }
  }
  return { parameterSets: annexB(sets), nalLengthSize };
}

/** Sync samples with their presentation time (from the first shown) and place. */
function keySamples({ samples: s, timescale }: Track): VideoTrack["keyframes"] {
  const out: VideoTrack["keyframes"] = [];
  for (let i = 0; i < s.count; i++) {
    if (s.sync[i])
      out.push({ time: (s.dts[i]! + s.cto[i]!) / timescale, offset: s.offset[i]!, size: s.size[i]! });
  }
  // Presentation times start where the first frame is shown (an edit list usually says so).
  const first = Math.min(...out.map((k) => k.time));
  for (const k of out) k.time -= first;
  return out;
}

/** A sample's length-prefixed NAL units, each after a start code instead (what a raw stream carries). */
export function sampleToAnnexB(sample: Uint8Array, nalLengthSize: number): Uint8Array {
  const units: Uint8Array[] = [];
  for (let at = 0; at + nalLengthSize <= sample.length; ) {
    let len = 0;
    for (let i = 0; i < nalLengthSize; i++) len = len * 256 + sample[at + i]!;
    at += nalLengthSize;
    if (len === 0 || at + len > sample.length)
      throw new Mp4Error("invalid", "a NAL unit runs past its sample");
    units.push(sample.subarray(at, at + len));
    at += len;
  }
  return annexB(units);
}

function annexB(units: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(units.reduce((n, u) => n + 4 + u.length, 0));
  let at = 0;
  for (const u of units) {
    out.set(START_CODE, at);
    out.set(u, at + 4);
    at += 4 + u.length;
  }
  return out;
}

function bytes(b: Uint8Array, at: number, len: number, box: Box): Uint8Array {
  if (at + len > box.start + box.size)
    throw new Mp4Error("invalid", `'${box.type}' parameter set runs past the box`);
  return b.slice(at, at + len);
}
