import { closeSync, openSync, readSync } from "node:fs";

// SHA-256 of stored footage (docs/evidence.md).

const CHUNK = 1 << 20;

/**
 * SHA-256 (hex) of a file's bytes, read a megabyte at a time, yielding between reads so a long
 * file never stalls the event loop. `pause(bytes)`, when given, is awaited after each read: the
 * background hashing and the scrub use it to keep to their rate.
 */
export async function sha256OfFile(path: string, pause?: (bytes: number) => Promise<void>): Promise<string> {
  const hash = new Bun.CryptoHasher("sha256");
  const buf = new Uint8Array(CHUNK);
  const fd = openSync(path, "r");
  try {
    for (let at = 0; ; ) {
      const n = readSync(fd, buf, 0, CHUNK, at);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      at += n;
      await (pause ? pause(n) : Bun.sleep(0));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
