import { S3Client } from "bun";
import { md5Hex, type TierTarget } from "./target.ts";

// An S3-compatible bucket as a tier, through Bun's S3Client.

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * An S3-compatible tier (AWS S3, MinIO, Ceph RGW, Garage, B2) through Bun's S3 client, which
 * signs; the requests themselves are plain fetches of presigned URLs, so that an upload can
 * carry Content-MD5 (a store that checks it refuses a damaged body) and every answer's
 * status and error code can be told to a person.
 */
export class S3Tier implements TierTarget {
  private readonly client: S3Client;

  constructor(
    readonly name: string,
    private readonly s: S3Settings,
  ) {
    this.client = new S3Client({
      endpoint: s.endpoint,
      bucket: s.bucket,
      region: s.region,
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
    });
  }

  problem(): string | undefined {
    return undefined; // only a request tells whether a bucket answers: probe()
  }

  /**
   * A GET of a key that is never written: "no such key" means the store answers, the bucket
   * exists and the keys are accepted; any other answer says what is wrong (a HEAD would
   * carry no error code to tell a missing bucket from a missing key).
   */
  async probe(): Promise<string | undefined> {
    try {
      const res = await this.request(".camkeep-probe", "GET");
      const code = errorCode(await res.text());
      return code === "NoSuchBucket"
        ? `tier ${this.name}: ${describe(res.status, code, this.s.bucket)}`
        : undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private url(key: string, method: "GET" | "PUT" | "HEAD" | "DELETE", seconds = 300): string {
    return this.client.presign(this.s.prefix + key, { method, expiresIn: seconds });
  }

  /** One request; network failures and refusals become errors naming the tier and the cause. */
  private async request(
    key: string,
    method: "GET" | "PUT" | "HEAD" | "DELETE",
    init: RequestInit = {},
    bytes = 0,
  ): Promise<Response> {
    let res: Response;
    try {
      // Time enough for the body at a slow 100 kB/s, never less than 30 s.
      res = await fetch(this.url(key, method), {
        ...init,
        method,
        signal: AbortSignal.timeout(30_000 + bytes / 100),
      });
    } catch (e) {
      throw new Error(`tier ${this.name}: cannot reach ${this.s.endpoint}: ${(e as Error).message}`);
    }
    if (res.ok || res.status === 206 || (method === "DELETE" && res.status === 404)) return res;
    if (res.status === 404 && method !== "PUT") return res;
    throw new Error(
      `tier ${this.name}: ${method} ${this.s.prefix}${key}: ${await explain(res, this.s.bucket)}`,
    );
  }

  async put(key: string, bytes: Uint8Array, md5: () => string, type = "video/mp4"): Promise<void> {
    const headers = {
      "content-md5": Buffer.from(md5(), "hex").toString("base64"),
      "content-type": type,
    };
    const res = await this.request(
      key,
      "PUT",
      { body: bytes as Uint8Array<ArrayBuffer>, headers },
      bytes.length,
    );
    await res.body?.cancel();
  }

  /**
   * The store's own MD5 of what it holds: the ETag of a single-part upload. A store whose
   * ETag is no MD5 (encrypted with KMS, or multipart) is read back and hashed instead.
   */
  async verify(key: string, source: Uint8Array, md5Of: () => string): Promise<string | undefined> {
    const size = source.length;
    const md5 = md5Of();
    const res = await this.request(key, "HEAD");
    if (res.status === 404) return "the copy is missing";
    const length = Number(res.headers.get("content-length"));
    if (length !== size) return `the copy holds ${length} bytes, not ${size}`;
    const etag = (res.headers.get("etag") ?? "").replace(/"/g, "").toLowerCase();
    if (/^[0-9a-f]{32}$/.test(etag))
      return etag === md5 ? undefined : `the store's MD5 of the copy is ${etag}, not ${md5}`;
    const got = md5Hex(await this.read(key));
    return got === md5 ? undefined : `the copy read back has MD5 ${got}, not ${md5}`;
  }

  async read(key: string): Promise<Uint8Array> {
    const res = await this.request(key, "GET");
    if (res.status === 404) throw new Error(`tier ${this.name}: ${this.s.prefix}${key} is missing`);
    return new Uint8Array(await res.arrayBuffer());
  }

  async stream(key: string, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
    const res = await this.request(
      key,
      "GET",
      { headers: { range: `bytes=${start}-${end - 1}` } },
      end - start,
    );
    if (res.status === 404) throw new Error(`tier ${this.name}: ${this.s.prefix}${key} is missing`);
    // A store that ignored the range would send the whole object: never taken for the part.
    if (res.status !== 206 && Number(res.headers.get("content-length")) !== end - start) {
      await res.body?.cancel();
      throw new Error(`tier ${this.name}: the store ignored a Range request for ${this.s.prefix}${key}`);
    }
    return res.body!;
  }

  /** Writes a JSON document (the bucket's archive, docs/archive.md), its MD5 checked by the store. */
  async putDocument(key: string, text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    await this.put(key, bytes, () => md5Hex(bytes), "application/json");
  }

  /** A document's text, or undefined when there is none at `key`. */
  async getDocument(key: string): Promise<string | undefined> {
    const res = await this.request(key, "GET");
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return await res.text();
  }

  /** The keys under `prefix` (after the tier's own prefix), in key order, a page of up to 1,000 at a time. */
  async *list(prefix: string): AsyncGenerator<{ key: string; etag: string }[]> {
    const full = this.s.prefix + prefix;
    for (let token: string | undefined; ; ) {
      let page: Awaited<ReturnType<S3Client["list"]>>;
      try {
        page = await this.client.list({ prefix: full, maxKeys: 1000, continuationToken: token });
      } catch (e) {
        throw new Error(`tier ${this.name}: cannot list ${full}: ${(e as Error).message}`);
      }
      yield (page.contents ?? []).map((o) => ({
        key: o.key.slice(this.s.prefix.length),
        etag: (o.eTag ?? "").replace(/"/g, ""),
      }));
      if (!page.isTruncated || !page.nextContinuationToken) return;
      token = page.nextContinuationToken;
    }
  }

  async remove(key: string): Promise<void> {
    await (await this.request(key, "DELETE")).body?.cancel();
  }

  /** Streamed through camkeep: the store need not be reachable from the browser. */
  async respond(key: string, req: Request): Promise<Response> {
    const range = req.headers.get("range");
    const res = await this.request(key, req.method === "HEAD" ? "HEAD" : "GET", {
      headers: range ? { range } : {},
    });
    if (res.status === 404) return res;
    const headers = new Headers();
    for (const h of ["content-length", "content-range", "accept-ranges", "etag", "last-modified"]) {
      const value = res.headers.get(h);
      if (value) headers.set(h, value);
    }
    return new Response(res.body, { status: res.status, headers });
  }

  source(key: string, seconds: number): string {
    return this.url(key, "GET", seconds);
  }
}

/** What an S3 error answer means, in words: its status, its code, and the likely cause. */
async function explain(res: Response, bucket: string): Promise<string> {
  return describe(res.status, errorCode(await res.text().catch(() => "")), bucket);
}

/** The `<Code>` of an S3 error body. */
function errorCode(body: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
}

function describe(status: number, code: string | undefined, bucket: string): string {
  const hint: Record<string, string> = {
    NoSuchBucket: `bucket ${bucket} does not exist (create it, or check s3.bucket)`,
    InvalidAccessKeyId: "the store does not know this access_key_id",
    SignatureDoesNotMatch: "the secret access key is wrong",
    AccessDenied: "access denied: check the key's permissions on the bucket",
    BadDigest: "the store received other bytes than were sent (Content-MD5 mismatch)",
  };
  const why =
    (code && hint[code]) ??
    (status === 403 ? "access denied (check access_key_id and the secret)" : undefined);
  return `HTTP ${status}${code ? ` ${code}` : ""}${why ? `: ${why}` : ""}`;
}
