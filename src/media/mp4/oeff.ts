import { childBoxes, type Box } from "./boxes.ts";
import { box, fourcc, fullBox, u16, u32 } from "./write.ts";

// The ONVIF Export File Format's signature (docs/evidence.md#signed-exports): a last top-level
// `meta` box appended to an MP4, signed over the whole file with the signature's own bytes zeroed.
//
//   meta (full box)
//     sumi  the clip's fragment id, absolute start and duration (100 ns units, start since 1601)
//     ipro (full box, 1 entry)
//       sinf
//         schm (full box) scheme "OEFF", version 1.0
//         schi
//           auib  who exported it, when, from where, of what: UTF-8 JSON, zero-terminated
//           cert  the signer's X.509 certificate (DER)
//           sibo  the RSASSA-PSS signature (SHA-256, MGF1-SHA-256, salt 20): the file's last bytes

/** 100-ns intervals between 1601-01-01 (the ONVIF clock's origin) and 1970-01-01. */
const EPOCH_1601 = 11_644_473_600n * 10_000_000n;
const SCHEME_VERSION_1_0 = 0x0001_0000;

export interface OeffFields {
  /** 16 bytes naming this export (the same export, the same id). */
  fragmentId: Uint8Array;
  /** The clip's first instant (epoch seconds) and its length (seconds). */
  start: number;
  duration: number;
  /** What auib says: who, when, which box, camera and span, the note. */
  userInformation: string;
  certificateDer: Uint8Array;
  /** The signature's length in bytes (the key's modulus length). */
  signatureLength: number;
}

/**
 * The meta box to append to a clip, its signature zeroed: `bytes`, and the signature's place in
 * it (`signatureAt`, to the end). The box is the same bytes for the same fields.
 */
export function oeffTrailer(f: OeffFields): { bytes: Uint8Array; signatureAt: number } {
  if (f.fragmentId.length !== 16) throw new Error("the fragment id must be 16 bytes");
  const sumi = new Uint8Array(16 * 3 + 8 + 8 + 2 + 2);
  sumi.set(f.fragmentId, 0);
  const view = new DataView(sumi.buffer);
  view.setBigUint64(48, EPOCH_1601 + BigInt(Math.round(f.start * 1e7)));
  view.setBigUint64(56, BigInt(Math.round(f.duration * 1e7)));
  const bytes = fullBox(
    "meta",
    0,
    0,
    box("sumi", sumi),
    fullBox(
      "ipro",
      0,
      0,
      u16(1),
      box(
        "sinf",
        fullBox("schm", 0, 0, fourcc("OEFF"), u32(SCHEME_VERSION_1_0)),
        box(
          "schi",
          box("auib", new TextEncoder().encode(`${f.userInformation}\0`)),
          box("cert", f.certificateDer),
          box("sibo", new Uint8Array(f.signatureLength)),
        ),
      ),
    ),
  );
  return { bytes, signatureAt: bytes.length - f.signatureLength };
}

/** What a signed file's last meta box says, and where its signature lies in the file. */
export interface OeffSignature {
  /** The signature's place in the file and its bytes. */
  signatureAt: number;
  signature: Uint8Array;
  certificateDer: Uint8Array;
  userInformation: string;
  /** Epoch seconds; seconds. */
  start: number;
  duration: number;
  schemeVersion: string;
}

/**
 * Reads the OEFF signature of a file whose last top-level box is `meta` (its bytes `meta`,
 * lying at `metaAt` in the file). Throws naming what is missing or malformed.
 */
export function readOeff(meta: Uint8Array, metaAt: number): OeffSignature {
  const root: Box = { type: "meta", start: 0, size: meta.length, header: 8 };
  const child = (parent: Box, type: string, skip = 0): Box => {
    const found = childBoxes(meta, parent.start + parent.header + skip, parent.start + parent.size).find(
      (b) => b.type === type,
    );
    if (!found) throw new Error(`the signature has no ${type} box (in ${parent.type})`);
    return found;
  };
  const body = (b: Box, skip = 0) => meta.subarray(b.start + b.header + skip, b.start + b.size);
  const sumi = body(child(root, "sumi", 4));
  const ipro = child(root, "ipro", 4);
  const sinf = child(ipro, "sinf", 6);
  const schm = body(child(sinf, "schm"), 4);
  if (new TextDecoder().decode(schm.subarray(0, 4)) !== "OEFF")
    throw new Error("the signature's scheme is not OEFF (ONVIF Export File Format)");
  const version = new DataView(schm.buffer, schm.byteOffset).getUint32(4);
  const schi = child(sinf, "schi");
  const sibo = child(schi, "sibo");
  const view = new DataView(sumi.buffer, sumi.byteOffset, sumi.byteLength);
  const text = body(child(schi, "auib"));
  return {
    signatureAt: metaAt + sibo.start + sibo.header,
    signature: body(sibo),
    certificateDer: body(child(schi, "cert")),
    userInformation: new TextDecoder().decode(text.at(-1) === 0 ? text.subarray(0, -1) : text),
    start: sumi.length >= 64 ? Number(view.getBigUint64(48) - EPOCH_1601) / 1e7 : Number.NaN,
    duration: sumi.length >= 64 ? Number(view.getBigUint64(56)) / 1e7 : Number.NaN,
    schemeVersion: `${version >>> 16}.${version & 0xffff}`,
  };
}
