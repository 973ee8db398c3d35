import { Mp4Error, type ByteSource } from "./source.ts";

/**
 * ISO BMFF boxes: `size(4) type(4) [largesize(8)]`. size 1 means a 64-bit size follows;
 * size 0 means "to the end of the file" (top level only).
 */
export interface Box {
  type: string;
  /** Offset of the box header. */
  start: number;
  /** Header length: 8, or 16 with a 64-bit size. */
  header: number;
  size: number;
}

/** Hard limits, so hostile input can cost neither unbounded time nor memory. */
export const LIMITS = {
  topLevelBoxes: 10_000,
  childBoxes: 10_000,
  /** A 10-minute 60 fps segment's moov is well under 1 MB. */
  moovBytes: 16 << 20,
  samplesPerTrack: 2_000_000,
  tracks: 64,
};

const ascii = new TextDecoder("latin1");

export function u32(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) throw new Mp4Error("invalid", "a box is shorter than its fields");
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

export function u64(b: Uint8Array, at: number): number {
  const hi = u32(b, at);
  const lo = u32(b, at + 4);
  if (hi >= 2 ** 21) throw new Mp4Error("invalid", "a 64-bit value is beyond what a file can hold");
  return hi * 2 ** 32 + lo;
}

/** Box headers in [from, to) of a source (the top level). */
export async function topLevelBoxes(src: ByteSource): Promise<Box[]> {
  const boxes: Box[] = [];
  for (let at = 0; at < src.size; ) {
    if (boxes.length >= LIMITS.topLevelBoxes) throw new Mp4Error("invalid", "too many top-level boxes");
    if (src.size - at < 8)
      throw new Mp4Error("invalid", `${src.size - at} stray bytes at the end of the file`);
    const head = await src.read(at, Math.min(16, src.size - at));
    const box = parseHeader(head, 0, at, src.size - at, true);
    boxes.push(box);
    at += box.size;
  }
  return boxes;
}

/** Child boxes of a box held in memory (inside moov). */
export function childBoxes(bytes: Uint8Array, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  for (let at = from; at < to; ) {
    if (boxes.length >= LIMITS.childBoxes) throw new Mp4Error("invalid", "too many boxes");
    if (to - at < 8) throw new Mp4Error("invalid", "stray bytes inside a box");
    const box = parseHeader(bytes, at, at, to - at, false);
    boxes.push(box);
    at += box.size;
  }
  return boxes;
}

/** Reads a header at `at` in `b`; `start` is its position in the file (or in `b`), `room` what is left of the parent. */
function parseHeader(b: Uint8Array, at: number, start: number, room: number, topLevel: boolean): Box {
  let size = u32(b, at);
  const type = ascii.decode(b.subarray(at + 4, at + 8));
  let header = 8;
  if (size === 1) {
    size = u64(b, at + 8);
    header = 16;
  } else if (size === 0) {
    if (!topLevel) throw new Mp4Error("invalid", `box '${type}' has size 0 inside another box`);
    size = room; // to the end of the file: a recorder killed mid-write leaves mdat like this
  }
  if (size < header)
    throw new Mp4Error("invalid", `box '${printable(type)}' declares ${size} bytes, less than its header`);
  if (size > room)
    throw new Mp4Error("invalid", `box '${printable(type)}' declares ${size} bytes but only ${room} remain`);
  return { type, start, header, size };
}

function printable(type: string): string {
  return type.replace(/[^\x20-\x7e]/g, "?");
}
