import type { Config } from "../config/load.ts";
import type { CopyOnInsert } from "../db/tiers.ts";
import { keyOf } from "../storage/layout.ts";

/**
 * One storage tier's store (docs/tiers.md): a folder or an S3 bucket, addressed by the key a segment
 * has in every tier (storage's layout, relative to its root). Every operation throws an Error
 * whose message says what went wrong in words a person can act on.
 */
export interface TierTarget {
  readonly name: string;
  /**
   * Writes the whole object under `key`. `md5` gives the bytes' MD5 (hex), computed when first
   * asked: a store that checks it refuses a damaged upload; a folder never needs it.
   */
  put(key: string, bytes: Uint8Array, md5: () => string): Promise<void>;
  /**
   * Why the object at `key` is not a complete copy of `source` (whose MD5 `md5` gives), or
   * undefined when it is: a content check by the store, never the writer's word alone.
   */
  verify(key: string, source: Uint8Array, md5: () => string): Promise<string | undefined>;
  /** The whole object (the source of a move onwards). */
  read(key: string): Promise<Uint8Array>;
  /** Bytes [start, end) of the object, streamed: a moov to read, a fragment's media to send. */
  stream(key: string, start: number, end: number): Promise<ReadableStream<Uint8Array>>;
  /** Removes the object; one already gone is no error. */
  remove(key: string): Promise<void>;
  /** Answers a request for the object: Range and HEAD as a file would. */
  respond(key: string, req: Request): Promise<Response>;
  /** What ffmpeg opens for the object: a path, or a URL valid for `seconds`. */
  source(key: string, seconds: number): string;
  /** Why the tier cannot be used now (unmounted, no credentials), or undefined: known already, asks nothing. */
  problem(): string | undefined;
  /**
   * Asks the tier whether it can be used (reachable, the bucket there, the keys accepted, the
   * marker right): why not, or undefined. Run at start and every few minutes, so a tier set up
   * wrongly shows in status before anything is due to go there.
   */
  probe(): Promise<string | undefined>;
  /**
   * Whether the object at `key` is there: true, false (shown absent), or undefined (the store
   * could not say). Stores that cannot be listed cheaply leave it out and are not compared
   * with the index at start.
   */
  exists?(key: string): Promise<boolean | undefined>;
}

/** MD5 of bytes, hex: what S3 stores call an ETag for a single-part upload. */
export function md5Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("md5").update(bytes).digest("hex");
}

/** The copy tiers new recordings are queued for as they are stored. */
export function copyOnInsert(config: Config): CopyOnInsert {
  return {
    tiers: config.storage.tiers.filter((t) => t.copy).map((t) => t.name),
    key: (path) => keyOf({ tier: null, path }, config.recordingsDir),
  };
}
