import { constants, createHash, createSign } from "node:crypto";
import { keepSignature, signedExport } from "../db/evidence.ts";
import type { Db } from "../db/open.ts";
import { oeffTrailer } from "../media/mp4/oeff.ts";
import type { ClipPlan } from "../playback/clip.ts";
import { partsStream, type Part } from "../playback/parts.ts";
import type { BoxIdentity } from "./identity.ts";

// A clip export signed in the ONVIF Export File Format (docs/evidence.md#signed-exports): the
// clip's bytes, then a meta box whose last bytes are the signature over all that precedes them
// and their own length in zeros.

/** Who asked for a signed export, of what, and the note they gave. */
export interface ExportRequest {
  camera: string;
  start: number;
  end: number;
  exportedBy: string;
  note: string;
}

/** A signed clip: its parts (the signature last), its size and ETag, known before a byte is read. */
export interface SignedClip {
  size: number;
  etag: string;
  /** Bytes [from, to) of the signed file, streamed. */
  stream(from?: number, to?: number): ReadableStream<Uint8Array>;
}

/**
 * The signed export of `plan`. The export is recorded the first time it is asked for (with the
 * moment, which its auib names); its signature is made from the first complete read and kept,
 * so every later request, and every Range, gives the same bytes.
 */
export function signClip(db: Db, identity: BoxIdentity, plan: ClipPlan, req: ExportRequest): SignedClip {
  const id = createHash("sha256")
    .update(JSON.stringify([plan.etag, req.exportedBy, req.note, identity.fingerprint]))
    .digest("hex");
  const { exportedAt, signature: kept } = signedExport(db, id, Date.now() / 1000);
  const iso = (t: number) => new Date(t * 1000).toISOString();
  const { bytes: trailer, signatureAt } = oeffTrailer({
    fragmentId: Buffer.from(id, "hex").subarray(0, 16),
    start: req.start,
    duration: req.end - req.start,
    userInformation: JSON.stringify({
      exported_by: req.exportedBy,
      exported_at: iso(exportedAt),
      box: identity.subject,
      certificate_sha256: identity.fingerprint,
      camera: req.camera,
      start: iso(req.start),
      end: iso(req.end),
      note: req.note,
    }),
    certificateDer: identity.certificateDer,
    signatureLength: identity.signatureLength,
  });
  const unsigned: Part[] = [...plan.parts, { bytes: trailer.subarray(0, signatureAt) }];
  const signatureFrom = plan.size + signatureAt;
  const size = signatureFrom + identity.signatureLength;
  const zeros = new Uint8Array(identity.signatureLength);
  const sign = (signer: ReturnType<typeof createSign>) => {
    signer.update(zeros);
    const made = signer.sign({ key: identity.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
    return keepSignature(db, id, made);
  };
  let signature = kept;
  /** The signature, from a read of the whole clip when none was kept yet. */
  const signatureNow = async () => {
    if (signature) return signature;
    const signer = createSign("sha256");
    for await (const chunk of partsStream(unsigned)) signer.update(chunk);
    signature = sign(signer);
    return signature;
  };
  return {
    size,
    etag: `"${id.slice(0, 32)}"`,
    stream(from = 0, to = size) {
      if (to <= signatureFrom) return partsStream(unsigned, from, to);
      if (signature) return partsStream([...unsigned, { bytes: signature }], from, to);
      if (from > 0) {
        // A Range reaching the signature before any complete read: the clip is read once first.
        return later(async () => partsStream([...unsigned, { bytes: await signatureNow() }], from, to));
      }
      return hashedWhileSent(partsStream(unsigned), async (signer) => {
        signature ??= sign(signer);
        return signature.subarray(0, to - signatureFrom);
      });
    },
  };
}

/** `body` passed on as it is read, each chunk hashed; at its end, `last` (given the hash) adds the final bytes. */
function hashedWhileSent(
  body: ReadableStream<Uint8Array>,
  last: (signer: ReturnType<typeof createSign>) => Promise<Uint8Array>,
): ReadableStream<Uint8Array> {
  const signer = createSign("sha256");
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await reader.read();
        if (r.done) {
          controller.enqueue(await last(signer));
          return controller.close();
        }
        signer.update(r.value);
        controller.enqueue(r.value);
      },
      async cancel() {
        await reader.cancel();
      },
    },
    { highWaterMark: 1 },
  );
}

/** A stream whose source is made when it is first read. */
function later(make: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (await make()).getReader();
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel() {
        await reader?.cancel();
      },
    },
    { highWaterMark: 1 },
  );
}
