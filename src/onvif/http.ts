import { createHash, randomBytes } from "node:crypto";
import { OnvifError } from "./soap.ts";

// Posting SOAP to a camera: time limits, a bound on what it may send back, HTTP digest when asked.

/** Answers larger than this are refused: a camera's answers are a few KB, 100 messages some 100 KB. */
export const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

export interface Credentials {
  user?: string;
  password?: string;
}

interface Challenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm: string;
  count: number;
}

/**
 * One camera's HTTP side: posts SOAP, answers a digest challenge (and keeps it for the next
 * requests, as browsers do), and turns every failure into an OnvifError saying what happened.
 */
export class SoapHttp {
  private challenge?: Challenge;

  constructor(private readonly credentials: Credentials) {}

  async post(
    url: string,
    xml: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: string }> {
    let res = await this.send(url, xml, timeoutMs, signal);
    if (res.status === 401 && this.credentials.user !== undefined) {
      const offered = parseChallenge(res.headers.get("www-authenticate") ?? "");
      await res.body?.cancel();
      if (offered) {
        this.challenge = offered;
        res = await this.send(url, xml, timeoutMs, signal);
      }
    }
    const body = await readLimited(res, timeoutMs);
    if (res.status === 401)
      throw new OnvifError("the camera refused the user name or password (HTTP 401)", "auth");
    return { status: res.status, body };
  }

  private async send(url: string, xml: string, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/soap+xml; charset=utf-8" };
    if (this.challenge && this.credentials.user !== undefined)
      headers.authorization = digestHeader(this.challenge, this.credentials, "POST", new URL(url).pathname);
    const limit = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(url, {
        method: "POST",
        body: xml,
        headers,
        signal: signal ? AbortSignal.any([signal, limit]) : limit,
        redirect: "error",
      });
    } catch (e) {
      if (limit.aborted)
        throw new OnvifError(`no answer within ${Math.round(timeoutMs / 1000)} s`, "timeout");
      if (signal?.aborted) throw e;
      const why = (e as Error).message.replace(/\s*For more information, pass `verbose: true`.*$/, "");
      throw new OnvifError(`cannot reach ${new URL(url).host}: ${why}`, "network");
    }
  }
}

/** The body as text, refused past MAX_ANSWER_BYTES; a camera that stops mid-answer times out. */
async function readLimited(res: Response, timeoutMs: number): Promise<string> {
  const length = Number(res.headers.get("content-length"));
  if (length > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    throw new OnvifError(`the answer is ${length} bytes, over the ${MAX_ANSWER_BYTES} allowed`, "too_large");
  }
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_ANSWER_BYTES) {
        await reader.cancel();
        throw new OnvifError(`the answer is over the ${MAX_ANSWER_BYTES} bytes allowed`, "too_large");
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof OnvifError) throw e;
    throw new OnvifError(`the answer broke off: ${(e as Error).message}`, "network");
  } finally {
    clearTimeout(deadline);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseChallenge(header: string): Challenge | undefined {
  if (!/^\s*digest\s/i.test(header)) return undefined;
  const v: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) v[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  if (!v.realm || !v.nonce) return undefined;
  const qop = v.qop?.split(",").map((q) => q.trim());
  return {
    realm: v.realm,
    nonce: v.nonce,
    opaque: v.opaque,
    qop: qop?.includes("auth") ? "auth" : undefined,
    algorithm: (v.algorithm ?? "MD5").toUpperCase(),
    count: 0,
  };
}

/** RFC 7616's response (MD5 or SHA-256, qop=auth or none). */
function digestHeader(c: Challenge, creds: Credentials, method: string, uri: string): string {
  const hash = (s: string) =>
    createHash(c.algorithm.startsWith("SHA-256") ? "sha256" : "md5")
      .update(s)
      .digest("hex");
  const nc = (++c.count).toString(16).padStart(8, "0");
  const cnonce = randomBytes(8).toString("hex");
  const ha1 = hash(`${creds.user}:${c.realm}:${creds.password ?? ""}`);
  const ha2 = hash(`${method}:${uri}`);
  const response = c.qop
    ? hash(`${ha1}:${c.nonce}:${nc}:${cnonce}:${c.qop}:${ha2}`)
    : hash(`${ha1}:${c.nonce}:${ha2}`);
  const parts = [
    `username="${creds.user}"`,
    `realm="${c.realm}"`,
    `nonce="${c.nonce}"`,
    `uri="${uri}"`,
    `algorithm=${c.algorithm}`,
    `response="${response}"`,
    ...(c.opaque ? [`opaque="${c.opaque}"`] : []),
    ...(c.qop ? [`qop=${c.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`] : []),
  ];
  return `Digest ${parts.join(", ")}`;
}
