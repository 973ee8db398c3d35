import { existsSync } from "node:fs";
import { fileRange } from "../storage/file-range.ts";
import { fileResponse } from "../storage/ranged.ts";
import { fileSource, Mp4Error, type ByteSource } from "../media/mp4/source.ts";
import { resolve, sep } from "node:path";
import type { Recording } from "../db/schema.ts";
import { parseStoragePath } from "../storage/layout.ts";
import type { TierTarget } from "./target.ts";

/** A presigned URL ffmpeg is given lives this long: long enough for a day-long export to reach its last part. */
const SOURCE_SECONDS = 6 * 3600;

/**
 * Where a recording's footage is read from, wherever it lives (docs/tiers.md): a file in local
 * storage, a file in a folder tier, an object in a bucket. Paths and keys come from the index,
 * and are still checked to lie inside their store.
 */
export class FootageLocator {
  constructor(
    private readonly recordingsDir: string,
    private readonly tiers: ReadonlyMap<string, TierTarget>,
  ) {}

  /** The tier holding the row's copy and its key there, when the key is one of ours. */
  private inTier(row: Pick<Recording, "tier" | "path">): { target: TierTarget; key: string } | undefined {
    const target = row.tier === null ? undefined : this.tiers.get(row.tier);
    if (!target || !parseStoragePath("/", `/${row.path}`)) return undefined;
    return { target, key: row.path };
  }

  /** What ffmpeg opens for the recording (a path or a URL), or undefined when it cannot be reached. */
  source(row: Pick<Recording, "tier" | "path">): string | undefined {
    if (row.tier === null) return insideStorage(this.recordingsDir, row.path);
    const at = this.inTier(row);
    if (!at || at.target.problem()) return undefined;
    return at.target.source(at.key, SOURCE_SECONDS);
  }

  /**
   * Random access to the recording's bytes wherever it lives (open(), closed by the caller),
   * and its ranges as streams (a fragment's media): undefined when it cannot be reached.
   */
  async bytes(row: Pick<Recording, "tier" | "path" | "segment_size">): Promise<FootageBytes | undefined> {
    if (row.tier === null) {
      const path = insideStorage(this.recordingsDir, row.path);
      if (!path) return undefined;
      return {
        open: () => fileSource(path),
        stream: (start, end) => fileRange(path, start, end),
      };
    }
    const at = this.inTier(row);
    if (!at || at.target.problem()) return undefined;
    const { target, key } = at;
    const size = row.segment_size;
    const source: ByteSource = {
      size,
      async read(offset, length) {
        if (offset < 0 || length < 0 || offset + length > size)
          throw new Mp4Error("invalid", `read past the end of the object (${offset}+${length} > ${size})`);
        return await Bun.readableStreamToBytes(await target.stream(key, offset, offset + length));
      },
      async close() {},
    };
    return { open: async () => source, stream: (start, end) => target.stream(key, start, end) };
  }

  /** The recording's bytes as a response (Range and HEAD answered), or undefined when it cannot be reached. */
  async respond(row: Pick<Recording, "tier" | "path">, req: Request): Promise<Response | undefined> {
    if (row.tier === null) {
      const path = insideStorage(this.recordingsDir, row.path);
      if (!path) return undefined;
      return fileResponse(path, req, {});
    }
    const at = this.inTier(row);
    if (!at || at.target.problem()) return undefined;
    const res = await at.target.respond(at.key, req);
    return res.status === 404 ? undefined : res;
  }
}

/** A recording's bytes: random access (a moov to read) and ranges to stream (media to send). */
export interface FootageBytes {
  open(): Promise<ByteSource>;
  stream(start: number, end: number): ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;
}

/**
 * ffmpeg's input options for footage wherever it lives: a concat list read from its stdin
 * (concatList), so that a presigned URL — a secret while it lasts — never shows in a
 * process list.
 */
export const CONCAT_INPUT = [
  "-f",
  "concat",
  "-safe",
  "0",
  "-protocol_whitelist",
  "file,pipe,fd,http,https,tcp,tls",
  "-i",
  "pipe:0",
];

/** An ffconcat list of sources (paths or URLs), each with its extra lines (inpoint, outpoint). */
export function concatList(parts: readonly { source: string; extra?: string[] }[]): string {
  const lines = ["ffconcat version 1.0"];
  for (const { source, extra = [] } of parts)
    lines.push(`file '${source.startsWith("/") ? "file:" : ""}${source.replace(/'/g, "'\\''")}'`, ...extra);
  return `${lines.join("\n")}\n`;
}

/** A stored file's path, only when it really lies inside storage (the index is trusted, but checked). */
export function insideStorage(root: string, path: string): string | undefined {
  const full = resolve(path);
  return full.startsWith(resolve(root) + sep) && existsSync(full) ? full : undefined;
}
