// A tar (POSIX ustar) written as it streams, its length known before a byte is sent: 512-byte
// headers, each file padded to 512 bytes, two empty blocks at the end. Sizes beyond ustar's 8 GB
// are written in base-256, as GNU tar and every modern reader take them.

const BLOCK = 512;

/** Bytes a file of `size` takes in the tar, its header included. */
export const tarEntryLength = (size: number) => BLOCK + Math.ceil(size / BLOCK) * BLOCK;

/** The end of a tar: two empty blocks. */
export const TAR_END = new Uint8Array(2 * BLOCK);

/** Zeros after a file of `size`, up to its next block. */
export const tarPadding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/** The header of a regular file `name` (at most 100 bytes) of `size` bytes, modified at `mtime` (epoch seconds). */
export function tarHeader(name: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (at: number, text: string) => h.set(new TextEncoder().encode(text), at);
  const nameBytes = new TextEncoder().encode(name);
  if (nameBytes.length > 100) throw new Error(`a tar name is at most 100 bytes: ${name}`);
  h.set(nameBytes, 0);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  if (size < 8 ** 11) put(124, `${size.toString(8).padStart(11, "0")}\0`);
  else {
    // base-256: the top bit of the first byte set, the size big-endian in the rest
    h[124] = 0x80;
    new DataView(h.buffer).setBigUint64(128, BigInt(size));
  }
  put(136, `${Math.floor(mtime).toString(8).padStart(11, "0")}\0`);
  put(148, "        "); // the checksum counts its own field as spaces
  h[156] = "0".charCodeAt(0);
  put(257, "ustar\0");
  put(263, "00");
  put(265, "camkeep\0");
  put(297, "camkeep\0");
  const sum = h.reduce((n, b) => n + b, 0);
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}
