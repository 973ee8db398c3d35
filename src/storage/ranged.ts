import { fileRange } from "./file-range.ts";

// Answering a GET for bytes whose length is known (a stored file, an export built from the
// index): the length up front, Range (206, 416), an ETag (304 on If-None-Match).

/** Bytes whose length is known before a byte is read, readable from any offset. */
export interface Ranged {
  size: number;
  /** Names the content: the same bytes, the same tag. */
  etag?: string;
  /** Bytes [from, to), streamed. */
  stream(from: number, to: number): ReadableStream<Uint8Array>;
}

/**
 * The answer to `req` for `body`, with `headers`: its whole (200 with Content-Length), the one
 * range asked for (206), 416 for a range outside it, 304 when the client holds it. A HEAD reads
 * nothing (the body is a stream nobody pulls).
 */
export function rangedResponse(req: Request, body: Ranged, headers: Record<string, string>): Response {
  const base: Record<string, string> = {
    ...headers,
    "accept-ranges": "bytes",
    ...(body.etag ? { etag: body.etag } : {}),
  };
  if (body.etag && req.headers.get("if-none-match") === body.etag)
    return new Response(null, { status: 304, headers: base });
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.get("range") ?? "");
  if (!range || (!range[1] && !range[2]))
    return new Response(body.stream(0, body.size), {
      headers: { ...base, "content-length": String(body.size) },
    });
  const [from, to] = range[1]
    ? [Number(range[1]), range[2] ? Number(range[2]) + 1 : body.size]
    : [Math.max(0, body.size - Number(range[2])), body.size];
  if (!(from < to && from < body.size)) {
    return new Response(null, {
      status: 416,
      headers: { ...base, "content-range": `bytes */${body.size}` },
    });
  }
  const last = Math.min(to, body.size);
  return new Response(body.stream(from, last), {
    status: 206,
    headers: {
      ...base,
      "content-range": `bytes ${from}-${last - 1}/${body.size}`,
      "content-length": String(last - from),
    },
  });
}

/** A stored file answered as ranged bytes (its size read now). */
export function fileResponse(path: string, req: Request, headers: Record<string, string>): Response {
  const size = Bun.file(path).size;
  return rangedResponse(req, { size, stream: (from, to) => fileRange(path, from, to) }, headers);
}
