import { childBoxes, u32, u64, type Box } from "./boxes.ts";
import { child, chunkOffsets, trackTables, type Mp4Layout } from "./inspect.ts";
import { Mp4Error } from "./source.ts";

// Every track of an MP4 the native path accepted, with its whole sample table: what fragments,
// init segments and clips are built from (docs/design.md#footage-back), and key frames are read from.

/** A track's samples in decode order, in the track's timescale; offsets are the file's. */
export interface Samples {
  count: number;
  dts: Float64Array;
  duration: Float64Array;
  /** Composition offsets (pts − dts), signed. */
  cto: Float64Array;
  size: Uint32Array;
  offset: Float64Array;
  /** 1 for a sync (key) sample. */
  sync: Uint8Array;
}

export interface Track {
  /** tkhd's track_ID. */
  id: number;
  /** The handler: "vide", "soun", … */
  handler: string;
  timescale: number;
  /** mdhd's packed ISO-639 language. */
  language: number;
  /** Pixels (tkhd's width and height), 0 for audio. */
  width: number;
  height: number;
  /**
   * Ticks to add to a sample's pts to get its presentation time from the file's start, as the
   * edit list says (an empty edit delays, a media time skips); 0 without one.
   */
  presentationShift: number;
  /** Boxes an init segment copies as they are: the handler, the media header (vmhd/smhd/…), the sample descriptions. */
  hdlr: Uint8Array;
  mediaHeader: Uint8Array | undefined;
  stsd: Uint8Array;
  /** The sample entry's four-character code (avc1, hvc1, mp4a, …). */
  format: string;
  samples: Samples;
}

/** The tracks of an accepted MP4, in file order. */
export function readTracks(layout: Mp4Layout): Track[] {
  const b = layout.moovBytes;
  const mvhd = child(b, { ...layout.moov, start: 0 }, "mvhd")!; // (moovBytes holds the moov alone)
  const movieTimescale = u32(b, mvhd.start + mvhd.header + (b[mvhd.start + mvhd.header] === 1 ? 20 : 12));
  return childBoxes(b, layout.moov.header, layout.moov.size)
    .filter((t) => t.type === "trak")
    .map((trak) => readTrack(b, trak, movieTimescale));
}

function readTrack(b: Uint8Array, trak: Box, movieTimescale: number): Track {
  const tkhd = child(b, trak, "tkhd");
  const mdia = child(b, trak, "mdia");
  const mdhd = mdia && child(b, mdia, "mdhd");
  const hdlr = mdia && child(b, mdia, "hdlr");
  const minf = mdia && child(b, mdia, "minf");
  if (!tkhd || !mdhd || !hdlr || !minf)
    throw new Mp4Error("invalid", "a track without tkhd, mdhd, hdlr or minf");
  const stbl = trackTables(b, trak);
  const stsd = child(b, stbl, "stsd");
  if (!stsd) throw new Mp4Error("invalid", "a track without stsd");
  const entry = childBoxes(b, stsd.start + stsd.header + 8, stsd.start + stsd.size)[0];
  if (!entry) throw new Mp4Error("invalid", "stsd without a sample entry");

  const t = tkhd.start + tkhd.header;
  const v1 = b[t] === 1;
  const m = mdhd.start + mdhd.header;
  const mdhdV1 = b[m] === 1;
  const timescale = u32(b, m + (mdhdV1 ? 20 : 12));
  if (!timescale) throw new Mp4Error("invalid", "mdhd timescale is 0");
  const mediaHeader = childBoxes(b, minf.start + minf.header, minf.start + minf.size).find((c) =>
    ["vmhd", "smhd", "nmhd", "sthd", "hmhd"].includes(c.type),
  );
  const slice = (box: Box) => b.slice(box.start, box.start + box.size);
  const end = tkhd.start + tkhd.size;
  return {
    id: u32(b, t + (v1 ? 20 : 12)),
    handler: String.fromCharCode(...b.subarray(hdlr.start + hdlr.header + 8, hdlr.start + hdlr.header + 12)),
    timescale,
    language: (b[m + (mdhdV1 ? 32 : 20)]! << 8) | b[m + (mdhdV1 ? 33 : 21)]!,
    width: u32(b, end - 8) >>> 16,
    height: u32(b, end - 4) >>> 16,
    presentationShift: editShift(b, trak, timescale, movieTimescale),
    hdlr: slice(hdlr),
    mediaHeader: mediaHeader && slice(mediaHeader),
    stsd: slice(stsd),
    format: entry.type,
    samples: readSamples(b, stbl),
  };
}

/**
 * What the edit list does to presentation times, in track ticks: leading empty edits delay the
 * track (in the movie's timescale), the first real edit's media time is where it starts.
 */
function editShift(b: Uint8Array, trak: Box, timescale: number, movieTimescale: number): number {
  const edts = child(b, trak, "edts");
  const elst = edts && child(b, edts, "elst");
  if (!elst) return 0;
  const at = elst.start + elst.header;
  const v1 = b[at] === 1;
  const count = u32(b, at + 4);
  const width = v1 ? 20 : 12;
  if (at + 8 + count * width > elst.start + elst.size)
    throw new Mp4Error("invalid", "elst declares more entries than it holds");
  let delay = 0;
  for (let e = 0; e < count; e++) {
    const p = at + 8 + e * width;
    const duration = v1 ? u64(b, p) : u32(b, p);
    const raw = v1 ? u64(b, p + 8) : u32(b, p + 4);
    const mediaTime = v1 ? (raw >= 2 ** 63 ? -1 : raw) : raw >= 2 ** 31 ? raw - 2 ** 32 : raw;
    if (mediaTime === -1) {
      delay += movieTimescale ? (duration * timescale) / movieTimescale : 0;
      continue;
    }
    return Math.round(delay) - mediaTime;
  }
  return Math.round(delay);
}

/** The sample table (stts, ctts, stsz, stsc, stco/co64, stss), one entry per sample in decode order. */
function readSamples(b: Uint8Array, stbl: Box): Samples {
  const table = (type: string, width: number) => {
    const box = child(b, stbl, type);
    if (!box) return undefined;
    const at = box.start + box.header + 4;
    const count = u32(b, at);
    if (at + 4 + count * width > box.start + box.size)
      throw new Mp4Error("invalid", `'${type}' declares more entries than it holds`);
    return { at: at + 4, count };
  };
  const stsz = child(b, stbl, "stsz")!;
  const constant = u32(b, stsz.start + stsz.header + 4);
  const count = u32(b, stsz.start + stsz.header + 8);
  const s: Samples = {
    count,
    dts: new Float64Array(count),
    duration: new Float64Array(count),
    cto: new Float64Array(count),
    size: new Uint32Array(count),
    offset: new Float64Array(count),
    sync: new Uint8Array(count),
  };
  for (let i = 0; i < count; i++) s.size[i] = constant || u32(b, stsz.start + stsz.header + 12 + i * 4);

  const stts = table("stts", 8)!;
  for (let e = 0, t = 0, i = 0; e < stts.count; e++) {
    const n = u32(b, stts.at + e * 8);
    const delta = u32(b, stts.at + e * 8 + 4);
    for (let k = 0; k < n && i < count; k++, i++, t += delta) {
      s.dts[i] = t;
      s.duration[i] = delta;
    }
  }
  const ctts = table("ctts", 8);
  if (ctts) {
    for (let e = 0, i = 0; e < ctts.count; e++) {
      const n = u32(b, ctts.at + e * 8);
      let off = u32(b, ctts.at + e * 8 + 4);
      if (off >= 2 ** 31) off -= 2 ** 32; // version 1: signed
      for (let k = 0; k < n && i < count; k++, i++) s.cto[i] = off;
    }
  }
  const stss = table("stss", 4);
  if (stss) for (let e = 0; e < stss.count; e++) s.sync[u32(b, stss.at + e * 4) - 1] = 1;
  else s.sync.fill(1); // no stss: every sample is a sync sample

  const { offsets } = chunkOffsets(b, stbl);
  const stsc = table("stsc", 12)!;
  for (let e = 0, i = 0; e < stsc.count; e++) {
    const first = u32(b, stsc.at + e * 12);
    const perChunk = u32(b, stsc.at + e * 12 + 4);
    const next = e + 1 < stsc.count ? u32(b, stsc.at + (e + 1) * 12) : offsets.length + 1;
    for (let chunk = first; chunk < next; chunk++) {
      let offset = offsets[chunk - 1]!;
      for (let k = 0; k < perChunk && i < count; k++, i++) {
        s.offset[i] = offset;
        offset += s.size[i]!;
      }
    }
  }
  return s;
}
