import { childBoxes, u32, type Box } from "./boxes.ts";
import { child, chunkOffsets, trackTables, type Mp4Layout } from "./inspect.ts";
import { Mp4Error } from "./source.ts";

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
  const b = layout.moovBytes;
  const traks = childBoxes(b, layout.moov.header, layout.moov.size).filter((t) => t.type === "trak");
  for (const trak of traks) {
    const mdia = child(b, trak, "mdia");
    const hdlr = mdia && child(b, mdia, "hdlr");
    if (!mdia || !hdlr || text(b, hdlr.start + hdlr.header + 8, 4) !== "vide") continue;
    return readVideoTrack(b, mdia, trackTables(b, trak));
  }
  return undefined;
}

function readVideoTrack(b: Uint8Array, mdia: Box, stbl: Box): VideoTrack {
  const mdhd = child(b, mdia, "mdhd")!;
  const v = b[mdhd.start + mdhd.header]!;
  const timescale = u32(b, mdhd.start + mdhd.header + (v === 1 ? 20 : 12));
  if (!timescale) throw new Mp4Error("invalid", "mdhd timescale is 0");

  const stsd = child(b, stbl, "stsd");
  if (!stsd) throw new Mp4Error("invalid", "a video track without stsd");
  const entry = childBoxes(b, stsd.start + stsd.header + 8, stsd.start + stsd.size)[0];
  if (!entry) throw new Mp4Error("invalid", "stsd without a sample entry");
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

  const keyframes = keySamples(b, stbl, timescale);
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

/** Sync samples with their presentation time and place (stss, stts, ctts, stsz, stsc, stco/co64). */
function keySamples(b: Uint8Array, stbl: Box, timescale: number): VideoTrack["keyframes"] {
  const table = (type: string, skip: number, width: number) => {
    const box = child(b, stbl, type);
    if (!box) return undefined;
    const at = box.start + box.header + 4 + skip;
    const count = u32(b, at);
    if (at + 4 + count * width > box.start + box.size)
      throw new Mp4Error("invalid", `'${type}' declares more entries than it holds`);
    return { at: at + 4, count };
  };
  const stsz = child(b, stbl, "stsz")!;
  const constant = u32(b, stsz.start + stsz.header + 4);
  const samples = u32(b, stsz.start + stsz.header + 8);
  const sizeOf = (i: number) => constant || u32(b, stsz.start + stsz.header + 12 + i * 4);

  const stss = table("stss", 0, 4);
  const sync = new Set<number>(); // 0-based sample numbers; no stss: every sample is a sync sample
  if (stss) for (let i = 0; i < stss.count; i++) sync.add(u32(b, stss.at + i * 4) - 1);
  const isSync = (i: number) => !stss || sync.has(i);

  // Decode times (stts) and composition offsets (ctts), sample by sample.
  const stts = table("stts", 0, 8)!;
  const ctts = table("ctts", 0, 8);
  const decodeTime = new Float64Array(samples);
  for (let e = 0, t = 0, s = 0; e < stts.count; e++) {
    const n = u32(b, stts.at + e * 8),
      delta = u32(b, stts.at + e * 8 + 4);
    for (let k = 0; k < n && s < samples; k++, s++, t += delta) decodeTime[s] = t;
  }
  const offsetOf = new Float64Array(samples);
  if (ctts) {
    for (let e = 0, s = 0; e < ctts.count; e++) {
      const n = u32(b, ctts.at + e * 8);
      let off = u32(b, ctts.at + e * 8 + 4);
      if (off >= 2 ** 31) off -= 2 ** 32; // version 1: signed
      for (let k = 0; k < n && s < samples; k++, s++) offsetOf[s] = off;
    }
  }

  // Where each sample lies: chunks (stco) filled per stsc.
  const { offsets } = chunkOffsets(b, stbl);
  const stsc = table("stsc", 0, 12)!;
  const out: VideoTrack["keyframes"] = [];
  let sample = 0;
  for (let e = 0; e < stsc.count; e++) {
    const first = u32(b, stsc.at + e * 12),
      perChunk = u32(b, stsc.at + e * 12 + 4);
    const next = e + 1 < stsc.count ? u32(b, stsc.at + (e + 1) * 12) : offsets.length + 1;
    for (let chunk = first; chunk < next; chunk++) {
      let offset = offsets[chunk - 1]!;
      for (let k = 0; k < perChunk && sample < samples; k++, sample++) {
        const size = sizeOf(sample);
        if (isSync(sample))
          out.push({ time: (decodeTime[sample]! + offsetOf[sample]!) / timescale, offset, size });
        offset += size;
      }
    }
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

function text(b: Uint8Array, at: number, len: number): string {
  return String.fromCharCode(...b.subarray(at, at + len));
}
