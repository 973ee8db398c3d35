import { childBoxes, LIMITS, topLevelBoxes, u32, u64, type Box } from "./boxes.ts";
import { Mp4Error, type ByteSource } from "./source.ts";

/** What the native path knows of a plain, complete MP4 it accepted. */
export interface Mp4Layout {
  /** Top-level boxes in file order. */
  boxes: Box[];
  moov: Box;
  /** The moov box, whole (bounded by LIMITS.moovBytes). */
  moovBytes: Uint8Array;
  /** Media data ranges [start, end) of the top-level mdat boxes, by start. */
  mdats: { box: Box; start: number; end: number }[];
  /** Seconds, as ffprobe's format=duration reads it: mvhd duration / timescale, to the microsecond. */
  duration: number;
  /** The index is already in front of all media. */
  moovFirst: boolean;
}

/**
 * The one path from moov to the chunk offset tables: moov → trak → mdia → minf → stbl.
 * Inspection validates along it and the rewrite follows it; nothing else is descended into.
 */
export const NEXT_ON_PATH: Record<string, string> = {
  moov: "trak",
  trak: "mdia",
  mdia: "minf",
  minf: "stbl",
};

/**
 * Accepts a complete, plain MP4 or throws Mp4Error saying why not: no moov (a recorder killed
 * mid-write), several moovs, fragments (moof), a compressed moov (cmov), boxes past the end,
 * sample tables that disagree (stts/stsz/stsc/stco), or a chunk lying outside every mdat.
 */
export async function inspectMp4(src: ByteSource): Promise<Mp4Layout> {
  const boxes = await topLevelBoxes(src);
  if (boxes.some((b) => b.type === "moof")) throw new Mp4Error("unsupported", "fragmented MP4 (moof)");
  const moovs = boxes.filter((b) => b.type === "moov");
  if (moovs.length === 0)
    throw new Mp4Error("invalid", "no moov box: the file is incomplete (recorder killed mid-write?)");
  if (moovs.length > 1) throw new Mp4Error("invalid", `${moovs.length} moov boxes`);
  const moov = moovs[0]!;
  if (moov.size > LIMITS.moovBytes)
    throw new Mp4Error("unsupported", `moov of ${moov.size} bytes is larger than a segment's`);
  const moovBytes = await src.read(moov.start, moov.size);
  const mdats = boxes
    .filter((b) => b.type === "mdat")
    .map((box) => ({ box, start: box.start + box.header, end: box.start + box.size }));

  const top = childBoxes(moovBytes, moov.header, moov.size);
  if (top.some((b) => b.type === "cmov")) throw new Mp4Error("unsupported", "compressed moov (cmov)");
  const mvhd = top.find((b) => b.type === "mvhd");
  if (!mvhd) throw new Mp4Error("invalid", "moov has no mvhd");
  const traks = top.filter((b) => b.type === "trak");
  if (traks.length > LIMITS.tracks) throw new Mp4Error("unsupported", `${traks.length} tracks`);
  for (const [i, trak] of traks.entries()) checkTrack(moovBytes, trak, mdats, i + 1);

  const firstMdat = mdats[0]?.box.start ?? Infinity;
  return {
    boxes,
    moov,
    moovBytes,
    mdats,
    duration: mvhdDuration(moovBytes, mvhd),
    moovFirst: moov.start < firstMdat,
  };
}

function mvhdDuration(b: Uint8Array, mvhd: Box): number {
  const at = mvhd.start + mvhd.header;
  const version = b[at];
  const [timescale, duration] =
    version === 1
      ? [u32(b, at + 20), u64(b, at + 24)]
      : version === 0
        ? [u32(b, at + 12), u32(b, at + 16)]
        : [0, 0];
  if (version !== 0 && version !== 1) throw new Mp4Error("unsupported", `mvhd version ${version}`);
  if (timescale === 0) throw new Mp4Error("invalid", "mvhd timescale is 0");
  // ffmpeg: av_rescale(duration, AV_TIME_BASE, timescale), rounded to the nearest microsecond.
  return Math.round((duration * 1e6) / timescale) / 1e6;
}

/** The box of `type` among the children of `parent`, if exactly one. */
export function child(b: Uint8Array, parent: Box, type: string): Box | undefined {
  const found = childBoxes(b, parent.start + parent.header, parent.start + parent.size).filter(
    (c) => c.type === type,
  );
  if (found.length > 1) throw new Mp4Error("invalid", `several '${type}' boxes in '${parent.type}'`);
  return found[0];
}

/** Body of a full box (after version and flags), with its bounds. */
function body(box: Box) {
  return { at: box.start + box.header + 4, end: box.start + box.size };
}

/** Entries of a table box: `count` entries of `width` bytes after `skip` bytes, all inside the box. */
function entries(b: Uint8Array, box: Box, skip: number, width: number): { at: number; count: number } {
  const { at, end } = body(box);
  const count = u32(b, at + skip);
  if (count > LIMITS.samplesPerTrack)
    throw new Mp4Error("unsupported", `'${box.type}' with ${count} entries`);
  if (at + skip + 4 + count * width > end)
    throw new Mp4Error("invalid", `'${box.type}' declares more entries than it holds`);
  return { at: at + skip + 4, count };
}

/** The chunk offset table of a sample table box: stco (32-bit) or co64. */
export function chunkOffsets(b: Uint8Array, stbl: Box): { box: Box; offsets: number[] } {
  const stco = child(b, stbl, "stco");
  const co64 = child(b, stbl, "co64");
  const box = stco ?? co64;
  if (!box || (stco && co64)) throw new Mp4Error("invalid", "a track needs exactly one of stco and co64");
  return { box, offsets: readOffsets(b, box) };
}

/** The offsets of an stco or co64 box. */
export function readOffsets(b: Uint8Array, box: Box): number[] {
  const width = box.type === "co64" ? 8 : 4;
  const t = entries(b, box, 0, width);
  const offsets = new Array<number>(t.count);
  for (let i = 0; i < t.count; i++) offsets[i] = width === 8 ? u64(b, t.at + i * 8) : u32(b, t.at + i * 4);
  return offsets;
}

export function trackTables(b: Uint8Array, trak: Box): Box {
  const mdia = child(b, trak, "mdia");
  const minf = mdia && child(b, mdia, "minf");
  const stbl = minf && child(b, minf, "stbl");
  if (!stbl) throw new Mp4Error("invalid", "a track without mdia/minf/stbl");
  return stbl;
}

function checkTrack(b: Uint8Array, trak: Box, mdats: Mp4Layout["mdats"], n: number): void {
  const stbl = trackTables(b, trak);
  if (child(b, stbl, "stz2")) throw new Mp4Error("unsupported", "compact sample sizes (stz2)");
  const stsz = child(b, stbl, "stsz");
  const stsc = child(b, stbl, "stsc");
  const stts = child(b, stbl, "stts");
  if (!stsz || !stsc || !stts) throw new Mp4Error("invalid", `track ${n} lacks stsz, stsc or stts`);

  const { at: szAt } = body(stsz);
  const constantSize = u32(b, szAt);
  const samples = constantSize
    ? (() => {
        const count = u32(b, szAt + 4);
        if (count > LIMITS.samplesPerTrack) throw new Mp4Error("unsupported", `${count} samples`);
        return count;
      })()
    : entries(b, stsz, 4, 4).count;
  const sizeOf = constantSize ? () => constantSize : (i: number) => u32(b, szAt + 8 + i * 4);

  const tts = entries(b, stts, 0, 8);
  let timed = 0;
  for (let i = 0; i < tts.count; i++) timed += u32(b, tts.at + i * 8);
  if (timed !== samples)
    throw new Mp4Error("invalid", `track ${n}: stts counts ${timed} samples, stsz ${samples}`);

  const { offsets } = chunkOffsets(b, stbl);
  const sc = entries(b, stsc, 0, 12);
  if (offsets.length === 0 || sc.count === 0) {
    if (samples !== 0)
      throw new Mp4Error("invalid", `track ${n}: ${samples} samples but no chunks to hold them`);
    return;
  }
  let sample = 0;
  for (let e = 0; e < sc.count; e++) {
    const first = u32(b, sc.at + e * 12);
    const perChunk = u32(b, sc.at + e * 12 + 4);
    const next = e + 1 < sc.count ? u32(b, sc.at + (e + 1) * 12) : offsets.length + 1;
    if ((e === 0 && first !== 1) || next <= first || next > offsets.length + 1 || perChunk === 0) {
      throw new Mp4Error(
        "invalid",
        `track ${n}: stsc entry ${e + 1} does not fit the ${offsets.length} chunks`,
      );
    }
    for (let chunk = first; chunk < next; chunk++) {
      if (sample + perChunk > samples)
        throw new Mp4Error("invalid", `track ${n}: stsc places more samples than stsz has`);
      let bytes = 0;
      for (let s = sample; s < sample + perChunk; s++) bytes += sizeOf(s);
      sample += perChunk;
      const offset = offsets[chunk - 1]!;
      if (!mdats.some((m) => offset >= m.start && offset + bytes <= m.end)) {
        throw new Mp4Error(
          "invalid",
          `track ${n}: chunk ${chunk} (${bytes} bytes at ${offset}) lies outside the media data`,
        );
      }
    }
  }
  if (sample !== samples)
    throw new Mp4Error("invalid", `track ${n}: stsc places ${sample} samples, stsz has ${samples}`);
}
