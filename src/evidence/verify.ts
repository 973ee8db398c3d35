import { constants, createVerify, X509Certificate } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { topLevelBoxes } from "../media/mp4/boxes.ts";
import { readOeff } from "../media/mp4/oeff.ts";
import { fileSource } from "../media/mp4/source.ts";

// `camkeep verify FILE`: a signed export checked offline, with nothing but the file
// (docs/evidence.md#checking-a-signed-export).

export interface ExportCheck {
  /** The signature over the file (its own bytes zeroed) holds for the certificate inside it. */
  valid: boolean;
  subject: string;
  /** SHA-256 of the certificate in the file: compare it with the box's (GET /api/evidence/certificate). */
  fingerprint: string;
  /** What the export says of itself (auib): who, when, camera, span, note. */
  information: string;
  start: number;
  duration: number;
}

const CHUNK = 1 << 20;

/** Checks a signed export's signature. Throws, naming it, when the file is not one. */
export async function verifyExport(path: string): Promise<ExportCheck> {
  const src = await fileSource(path);
  let signed: ReturnType<typeof readOeff>;
  try {
    const boxes = await topLevelBoxes(src);
    const meta = boxes.at(-1);
    if (meta?.type !== "meta")
      throw new Error("not a signed export: its last box is not the signature's meta box");
    signed = readOeff(await src.read(meta.start, meta.size), meta.start);
  } finally {
    await src.close();
  }
  const cert = new X509Certificate(signed.certificateDer);
  const verifier = createVerify("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(CHUNK);
    const end = signed.signatureAt + signed.signature.length;
    for (let at = 0; ; ) {
      const n = readSync(fd, buf, 0, CHUNK, at);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      // The signature's own bytes are read as zeros: they were zeros when it was made.
      const a = Math.max(signed.signatureAt, at) - at;
      const b = Math.min(end, at + n) - at;
      if (a < b) chunk.fill(0, a, b);
      verifier.update(chunk);
      at += n;
      await Bun.sleep(0);
    }
  } finally {
    closeSync(fd);
  }
  const valid = verifier.verify(
    { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 },
    signed.signature,
  );
  return {
    valid,
    subject: cert.subject.replace(/\n/g, ", "),
    fingerprint: cert.fingerprint256,
    information: signed.userInformation,
    start: signed.start,
    duration: signed.duration,
  };
}
