// Writing MP4 boxes: a box is its size, its type and its parts, big-endian.

const encoder = new TextEncoder();

/** A box of `type` holding `parts` in order. */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  out.set(encoder.encode(type), 4);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A full box: version and flags, then `parts`. */
export function fullBox(type: string, version: number, flags: number, ...parts: Uint8Array[]): Uint8Array {
  return box(type, u32((version << 24) | flags), ...parts);
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

export function zeros(n: number): Uint8Array {
  return new Uint8Array(n);
}

export function fourcc(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The unity matrix of tkhd and mvhd. */
export const UNITY_MATRIX = Uint8Array.from([
  0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0,
  0,
]);

/**
 * Writes boxes in place into a buffer whose size is known in advance (a fragment's moof: one
 * allocation, not four per sample). Sizes are the caller's to get right.
 */
export class BoxWriter {
  private readonly view: DataView;
  at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  box(size: number, type: string): void {
    this.u32(size);
    for (let i = 0; i < 4; i++) this.bytes[this.at + i] = type.charCodeAt(i);
    this.at += 4;
  }
  fullBox(size: number, type: string, version: number, flags: number): void {
    this.box(size, type);
    this.u32((version << 24) | flags);
  }
  u32(n: number): void {
    this.view.setUint32(this.at, n >>> 0);
    this.at += 4;
  }
  i32(n: number): void {
    this.view.setInt32(this.at, n);
    this.at += 4;
  }
  u64(n: number): void {
    this.view.setBigUint64(this.at, BigInt(Math.round(n)));
    this.at += 8;
  }
}
