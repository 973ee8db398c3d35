import type { FootageBytes } from "../tiers/footage.ts";

// What playback sends: bytes made here and ranges of stored files, one after another, streamed.

/** A piece of an answer: bytes made here, or a range of a stored segment's file. */
export type Part = { bytes: Uint8Array } | { footage: FootageBytes; start: number; end: number };

export const partLength = (p: Part) => ("bytes" in p ? p.bytes.length : p.end - p.start);

/**
 * Bytes [from, to) of the parts, streamed with backpressure: a chunk of a stored file is read
 * only when the client has taken the one before, so a viewer costs a chunk of memory, not a file.
 */
export function partsStream(parts: readonly Part[], from = 0, to = Infinity): ReadableStream<Uint8Array> {
  const pieces: { part: Part; a: number; b: number }[] = [];
  let at = 0;
  for (const part of parts) {
    const length = partLength(part);
    const a = Math.max(from, at) - at;
    const b = Math.min(to, at + length) - at;
    if (a < b) pieces.push({ part, a, b });
    at += length;
  }
  let next = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (reader) {
            const r = await reader.read();
            if (!r.done) return controller.enqueue(r.value);
            reader = undefined;
          }
          const piece = pieces[next++];
          if (!piece) return controller.close();
          const { part, a, b } = piece;
          if ("bytes" in part) return controller.enqueue(part.bytes.subarray(a, b));
          reader = (await part.footage.stream(part.start + a, part.start + b)).getReader();
        }
      },
      async cancel() {
        await reader?.cancel();
      },
    },
    { highWaterMark: 1 },
  );
}
