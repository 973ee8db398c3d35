import { childBoxes } from "./boxes.ts";
import type { Track } from "./tracks.ts";
import { box, fourcc, fullBox, u16, u32, UNITY_MATRIX, zeros } from "./write.ts";

// The init segment of fragmented MP4 for a segment's tracks: their sample descriptions, no samples.

/**
 * ftyp + moov with each track's handler, media header and sample descriptions copied as they
 * are, empty sample tables, and mvex: what a player needs before the fragments
 * (docs/design.md#footage-back). The same tracks give the same bytes, so a hash of them names it.
 */
export function initSegment(tracks: readonly Track[], opts: { startAt?: number } = {}): Uint8Array {
  const ftyp = box("ftyp", fourcc("iso6"), u32(0), fourcc("iso6"), fourcc("mp41"), fourcc("cmfc"));
  const nextId = Math.max(0, ...tracks.map((t) => t.id)) + 1;
  const mvhd = fullBox(
    "mvhd",
    0,
    0,
    u32(0),
    u32(0),
    u32(1000),
    u32(0), // created, modified, timescale, duration
    u32(0x00010000),
    u16(0x0100),
    zeros(10),
    UNITY_MATRIX,
    zeros(24),
    u32(nextId),
  );
  const traks = tracks.map((t) => {
    const audio = t.handler === "soun";
    const tkhd = fullBox(
      "tkhd",
      0,
      3, // enabled, in movie
      u32(0),
      u32(0),
      u32(t.id),
      zeros(4),
      u32(0),
      zeros(8),
      u16(0),
      u16(audio ? 1 : 0),
      u16(audio ? 0x0100 : 0),
      zeros(2),
      UNITY_MATRIX,
      u32(t.width * 0x10000),
      u32(t.height * 0x10000),
    );
    const mdhd = fullBox("mdhd", 0, 0, u32(0), u32(0), u32(t.timescale), u32(0), u16(t.language), u16(0));
    const dinf = box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1)));
    const stbl = box(
      "stbl",
      codecConfiguration(t.stsd),
      fullBox("stts", 0, 0, u32(0)),
      fullBox("stsc", 0, 0, u32(0)),
      fullBox("stsz", 0, 0, u32(0), u32(0)),
      fullBox("stco", 0, 0, u32(0)),
    );
    const minf = box("minf", ...(t.mediaHeader ? [t.mediaHeader] : []), dinf, stbl);
    // An edit list that starts presentation `startAt` seconds in (an export from a key frame
    // before its start); duration 0: the rest of the fragmented track.
    const edts =
      opts.startAt === undefined
        ? []
        : [
            box(
              "edts",
              fullBox(
                "elst",
                0,
                0,
                u32(1),
                u32(0),
                u32(Math.round(opts.startAt * t.timescale)),
                u32(0x00010000),
              ),
            ),
          ];
    return box("trak", tkhd, ...edts, box("mdia", mdhd, t.hdlr, minf));
  });
  const mvex = box(
    "mvex",
    ...tracks.map((t) => fullBox("trex", 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0))),
  );
  return concat(ftyp, box("moov", mvhd, ...traks, mvex));
}

/**
 * A track's sample descriptions without what changes from one segment to the next of the same
 * stream — the bitrates a muxer measures (a `btrt` box, the bitrates in an `esds`) — so that
 * consecutive segments of one camera need the same init, and a real change (codec, resolution,
 * parameter sets) needs another.
 */
export function codecConfiguration(stsd: Uint8Array): Uint8Array {
  const out: number[] = [...stsd.subarray(0, 16)]; // header, version, flags, entry count
  for (const entry of childBoxes(stsd, 16, stsd.length)) {
    const video = ["avc1", "avc3", "hvc1", "hev1"].includes(entry.type);
    const audio = entry.type === "mp4a";
    // Sample entry fields before its child boxes: 8 bytes of SampleEntry, then 70 (visual) or 20 (audio).
    const fields = entry.header + 8 + (video ? 70 : audio ? 20 : NaN);
    if (Number.isNaN(fields)) {
      out.push(...stsd.subarray(entry.start, entry.start + entry.size));
      continue;
    }
    const kept: number[] = [...stsd.subarray(entry.start, entry.start + fields)];
    for (const c of childBoxes(stsd, entry.start + fields, entry.start + entry.size)) {
      if (c.type === "btrt") continue;
      const bytes = stsd.slice(c.start, c.start + c.size);
      if (c.type === "esds") zeroEsdsBitrates(bytes, c.header + 4);
      kept.push(...bytes);
    }
    out.push(...withSize(kept));
  }
  return withSize(out);
}

/** A box's bytes with its size field set to their length. */
function withSize(bytes: number[]): Uint8Array {
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setUint32(0, out.length);
  return out;
}

/** In an esds box's ES descriptor, the DecoderConfigDescriptor's buffer size and bitrates, zeroed. */
function zeroEsdsBitrates(esds: Uint8Array, at: number): void {
  const descriptor = (p: number) => {
    let len = 0;
    let q = p + 1;
    for (let i = 0; i < 4; i++) {
      const b = esds[q++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag: esds[p]!, body: q, end: q + len };
  };
  const es = descriptor(at);
  if (es.tag !== 0x03) return;
  const flags = esds[es.body + 2]!;
  let p = es.body + 3;
  if (flags & 0x80) p += 2; // dependsOn_ES_ID
  if (flags & 0x40) p += 1 + esds[p]!; // URL
  if (flags & 0x20) p += 2; // OCR_ES_Id
  const config = descriptor(p);
  if (config.tag !== 0x04 || config.body + 13 > esds.length) return;
  esds.fill(0, config.body + 2, config.body + 13); // bufferSizeDB (3), maxBitrate (4), avgBitrate (4)
}

/** A short name of an init segment's bytes: fragments name the init they need by it. */
export function initName(init: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(init).digest("hex").slice(0, 24);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
