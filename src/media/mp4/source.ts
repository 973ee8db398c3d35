import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Random access to bytes: a file, or a buffer (tests and fuzzing). */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; throws Mp4Error past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A file or stream the native path rejects. `unsupported`: valid maybe, but not ours to handle. */
export class Mp4Error extends Error {
  constructor(
    readonly kind: "invalid" | "unsupported",
    message: string,
  ) {
    super(message);
  }
}

/** Bytes in memory as a source. @internal (the tests and the fuzzer read made-up files with it) */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length)
        throw new Mp4Error(
          "invalid",
          `read past the end of the file (${offset}+${length} > ${bytes.length})`,
        );
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
}

/**
 * A file, read with plain synchronous positional reads: the reads are a few headers and the
 * moov (tens of KB), and a hop through the I/O thread pool for each would cost more CPU than
 * the read itself.
 */
export async function fileSource(path: string): Promise<ByteSource & { fd: number; path: string }> {
  const fd = openSync(path, "r");
  const size = fstatSync(fd).size;
  return {
    fd,
    path,
    size,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size)
        throw new Mp4Error("invalid", `read past the end of the file (${offset}+${length} > ${size})`);
      const buf = new Uint8Array(length);
      if (readSync(fd, buf, 0, length, offset) !== length)
        throw new Mp4Error("invalid", "the file shrank while being read");
      return buf;
    },
    async close() {
      closeSync(fd);
    },
  };
}
