import { closeSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { childBoxes, type Box } from "./boxes.ts";
import { chunkOffsets, NEXT_ON_PATH, readOffsets, type Mp4Layout } from "./inspect.ts";
import type { ByteSource } from "./source.ts";

// The moov-first copy of an MP4: the index moved in front, the media streamed unchanged.

const COPY_CHUNK = 1 << 20; // bounded memory: the media is streamed, never held whole
/** Padding larger than this is left as a hole (sparse) instead of written as zeros. */
const MAX_WRITTEN_PADDING = 1 << 20;
const YIELD_EVERY = 8 * COPY_CHUNK;
/**
 * One copy buffer for every write: a fresh megabyte per segment would be zero-filled and
 * faulted in each time. Sharing is safe: each read is followed by its write with no yield between.
 */
const buffer = new Uint8Array(COPY_CHUNK);

/** The output, in order: bytes held in memory, ranges of the source, or padding. */
type Part = { bytes: Uint8Array } | { from: number; length: number } | { padding: number };

/**
 * Writes a moov-first copy: the boxes before the first mdat, then the moov with every chunk
 * offset shifted to where its mdat now lies, then the rest in their order. stco tables become
 * co64 (in every track) when an offset would pass 2^32. A file already moov-first is copied
 * unchanged. The body of top-level padding (free, skip) is not copied: it is zeros, or a hole.
 * Answers the SHA-256 (hex) of what it wrote, hashed as it writes (no second read).
 */
export async function writeFaststart(
  src: ByteSource & { fd: number; path: string },
  layout: Mp4Layout,
  dst: string,
): Promise<string> {
  if (layout.moovFirst) return writeParts(src, [{ from: 0, length: src.size }], dst);
  const firstMdat = layout.mdats[0]!.box.start;
  const rest = layout.boxes.filter((b) => b !== layout.moov);
  const before = rest.filter((b) => b.start < firstMdat);
  const after = rest.filter((b) => b.start >= firstMdat);

  // The new moov's size depends only on the offset tables' widths, not their values.
  let co64 = false;
  let shift = shifts(before, after, byteLength(rebuildMoov(layout, () => 0, co64)));
  if (needsCo64(layout, (offset) => offset + shiftOf(layout, shift, offset))) {
    co64 = true;
    shift = shifts(before, after, byteLength(rebuildMoov(layout, () => 0, co64)));
  }
  const moov = join(rebuildMoov(layout, (offset) => offset + shiftOf(layout, shift, offset), co64));
  return writeParts(src, [...before.flatMap(boxParts), { bytes: moov }, ...after.flatMap(boxParts)], dst);
}

function boxParts(box: Box): Part[] {
  if (box.type !== "free" && box.type !== "skip") return [{ from: box.start, length: box.size }];
  return [{ from: box.start, length: box.header }, { padding: box.size - box.header }];
}

/**
 * Writes the parts in order at explicit positions, with plain synchronous reads and writes
 * through one buffer (the cheapest way here: no thread hand-offs), yielding to the event loop
 * every few MB so a long file never stalls the API. Padding is written as zeros when small,
 * and left as a hole when large (never in a recorder's segment). Every byte is hashed as it is
 * written (a hole as the zeros it reads as).
 */
async function writeParts(
  src: ByteSource & { fd: number; path: string },
  parts: Part[],
  dst: string,
): Promise<string> {
  const padding = parts.reduce((n, p) => n + ("padding" in p ? p.padding : 0), 0);
  const sparse = padding > MAX_WRITTEN_PADDING;
  const input = src.fd;
  const out = openSync(dst, "w");
  const buf = buffer;
  const hash = new Bun.CryptoHasher("sha256");
  let at = 0;
  try {
    for (const p of parts) {
      if ("bytes" in p) {
        writeSync(out, p.bytes, 0, p.bytes.length, at);
        hash.update(p.bytes);
      } else if ("padding" in p) {
        const zeros = new Uint8Array(Math.min(p.padding, COPY_CHUNK));
        if (!sparse) writeSync(out, zeros, 0, p.padding, at);
        for (let left = p.padding; left > 0; left -= zeros.length)
          hash.update(zeros.subarray(0, Math.min(left, zeros.length)));
      } else {
        for (let done = 0; done < p.length; ) {
          const n = readSync(input, buf, 0, Math.min(buf.length, p.length - done), p.from + done);
          if (n === 0) throw new Error("the file shrank while being copied");
          writeSync(out, buf, 0, n, at + done);
          hash.update(buf.subarray(0, n));
          done += n;
          if (done % YIELD_EVERY === 0) await Bun.sleep(0);
        }
      }
      at += "bytes" in p ? p.bytes.length : "from" in p ? p.length : p.padding;
    }
    ftruncateSync(out, at); // a hole at the end still counts
  } finally {
    closeSync(out);
  }
  return hash.digest("hex");
}

/** How far each box after the moov's new place moves: box start → new start. */
function shifts(before: Box[], after: Box[], moovSize: number): Map<number, number> {
  const moved = new Map<number, number>();
  let at = before.reduce((n, b) => n + b.size, 0) + moovSize;
  for (const b of after) {
    moved.set(b.start, at - b.start);
    at += b.size;
  }
  return moved;
}

/** The shift of the mdat holding `offset` (inspection checked that one does). */
function shiftOf(layout: Mp4Layout, shift: Map<number, number>, offset: number): number {
  const mdat =
    layout.mdats.find((m) => offset >= m.start && offset < m.end) ??
    layout.mdats.find((m) => offset === m.end)!;
  return shift.get(mdat.box.start) ?? 0;
}

/** The moov as a box of its own bytes (layout.moov.start is its place in the file). */
const moovRoot = (layout: Mp4Layout): Box => ({ ...layout.moov, start: 0 });

function needsCo64(layout: Mp4Layout, shifted: (offset: number) => number): boolean {
  return tables(layout.moovBytes, moovRoot(layout)).some(({ offsets }) =>
    offsets.some((o) => shifted(o) > 0xffff_ffff),
  );
}

const childrenOf = (b: Uint8Array, box: Box) => childBoxes(b, box.start + box.header, box.start + box.size);

function tables(b: Uint8Array, moov: Box) {
  const found: ReturnType<typeof chunkOffsets>[] = [];
  const walk = (box: Box) => {
    if (box.type === "stbl") return void found.push(chunkOffsets(b, box));
    for (const c of childrenOf(b, box)) if (c.type === NEXT_ON_PATH[box.type]) walk(c);
  };
  walk(moov);
  return found;
}

/**
 * The moov again, as the pieces to write in order: views of the original where nothing
 * changes, new boxes where something does (headers of the boxes on the path, offset tables).
 * Nothing is copied until the pieces are joined once.
 */
function rebuildMoov(layout: Mp4Layout, map: (offset: number) => number, co64: boolean): Uint8Array[] {
  const b = layout.moovBytes;
  const raw = (box: Box) => [b.subarray(box.start, box.start + box.size)];
  const build = (box: Box): Uint8Array[] => {
    const body = childrenOf(b, box).flatMap((c) => {
      if (box.type === "stbl")
        return c.type === "stco" || c.type === "co64"
          ? [offsetTable(b, c, map, co64 || c.type === "co64")]
          : raw(c);
      return c.type === NEXT_ON_PATH[box.type] ? build(c) : raw(c);
    });
    return [boxHeader(box.type, 8 + byteLength(body)), ...body];
  };
  return build(moovRoot(layout));
}

const byteLength = (parts: Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(byteLength(parts));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function offsetTable(b: Uint8Array, box: Box, map: (offset: number) => number, wide: boolean): Uint8Array {
  const offsets = readOffsets(b, box);
  const width = wide ? 8 : 4;
  const table = new Uint8Array(16 + offsets.length * width);
  table.set(boxHeader(wide ? "co64" : "stco", table.length));
  table.set(b.subarray(box.start + box.header, box.start + box.header + 4), 8); // version and flags
  const view = new DataView(table.buffer);
  view.setUint32(12, offsets.length);
  offsets.forEach((o, i) => {
    const v = map(o);
    if (wide) view.setBigUint64(16 + i * 8, BigInt(v));
    else view.setUint32(16 + i * 4, v);
  });
  return table;
}

function boxHeader(type: string, size: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, size);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  return out;
}
