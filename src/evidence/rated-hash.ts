import { sleep } from "../time/sleep.ts";

/**
 * SHA-256 (hex) of a stream read at most `rate` bytes a second (Infinity: as fast as it comes):
 * the background hashing and the scrub, which must never hold up storing. Undefined when
 * `signal` aborts or the stream fails.
 */
export async function hashAtRate(
  stream: ReadableStream<Uint8Array>,
  rate: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const hash = new Bun.CryptoHasher("sha256");
  const reader = stream.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return hash.digest("hex");
      hash.update(r.value);
      await (Number.isFinite(rate) ? sleep((r.value.length / rate) * 1000, signal) : Bun.sleep(0));
      if (signal.aborted) return undefined;
    }
  } catch {
    return undefined;
  } finally {
    await reader.cancel().catch(() => {});
  }
}
