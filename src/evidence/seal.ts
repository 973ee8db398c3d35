import { constants, createHash, type KeyObject, sign, verify } from "node:crypto";
import type { KeyFor } from "./certificates.ts";
import type { SealedSegment, StoredSeal } from "../db/seals.ts";

// A seal (docs/evidence.md#sealed-hours): what one camera-hour held when it could no longer
// change, chained to the camera's previous seal and signed by the box. Pure: the sealer and
// every check build and read them here.

export interface SealBody {
  v: 1;
  camera: string;
  /** The hour's start (ISO, UTC). */
  hour: string;
  /** "hour": the hour as sealed; "amendment": segments stored into it after. */
  kind: "hour" | "amendment";
  /** The camera's previous seal's hash, null for its first. */
  previous: string | null;
  made_at: string;
  /** The certificate whose key signed this seal. */
  certificate_sha256: string;
  segments: SealedSegment[];
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 };

/** The body's bytes as signed and hashed: JSON with the keys in this order, no spaces. */
export function sealText(body: SealBody): string {
  const { v, camera, hour, kind, previous, made_at, certificate_sha256, segments } = body;
  return JSON.stringify({ v, camera, hour, kind, previous, made_at, certificate_sha256, segments });
}

export const sealHash = (text: string) => createHash("sha256").update(text).digest("hex");

export function signSeal(text: string, key: KeyObject): Buffer {
  return sign("sha256", Buffer.from(text), { key, ...PSS });
}

/**
 * What a check of seals in a camera's chain found wrong, in words (empty when every one holds):
 * each seal's hash, and its signature by the certificate it names (`keyFor`: the keys this box
 * knows), and that it names the one before it (`before`: the hash the first must name; null for
 * a camera's very first seal).
 */
export function checkChain(seals: readonly StoredSeal[], keyFor: KeyFor, before: string | null): string[] {
  const problems: string[] = [];
  let previous = before;
  for (const s of seals) {
    const where = `the seal of ${s.camera} ${new Date(s.hour * 1000).toISOString()}`;
    let body: SealBody | undefined;
    try {
      body = JSON.parse(s.body) as SealBody;
    } catch {
      problems.push(`${where}: its body is not JSON`);
    }
    if (sealHash(s.body) !== s.hash) problems.push(`${where}: its hash is not its body's (altered)`);
    const key = body && keyFor(body.certificate_sha256);
    if (body && !key)
      problems.push(
        `${where}: signed by a certificate this box does not know (SHA-256 ${body.certificate_sha256})`,
      );
    else if (!key || !verify("sha256", Buffer.from(s.body), { key, ...PSS }, s.signature))
      problems.push(
        `${where}: its signature does not hold (altered, or not signed by the certificate it names)`,
      );
    if (body && body.previous !== previous)
      problems.push(`${where}: it does not name the seal before it (the chain is broken)`);
    previous = s.hash;
  }
  return problems;
}
