import { constants, sign } from "node:crypto";
import { auditAbout } from "../db/audit.ts";
import type { Case } from "../db/cases.ts";
import type { Db } from "../db/open.ts";
import { recordingsBetween } from "../db/recordings.ts";
import { sealsBetween } from "../db/seals.ts";
import { planClip } from "../playback/clip.ts";
import type { PlaybackMedia } from "../playback/media.ts";
import type { BoxIdentity } from "./identity.ts";
import { type SignedClip, signClip } from "./signed-clip.ts";
import { TAR_END, tarEntryLength, tarHeader, tarPadding } from "./tar.ts";

// A case as one file (docs/evidence.md#cases): a tar, streamed, its length known, holding each
// span as a signed clip, a signed manifest (the clips and their hashes, the seals that cover
// them, the case), the case's audit entries, the box's certificate and how to check it all.

export interface CaseExport {
  name: string;
  size: number;
  stream(): ReadableStream<Uint8Array>;
}

type Entry = { name: string; size: number } & (
  | { clip: SignedClip; index: number }
  | { bytes: () => Uint8Array }
);

const HEX64 = "0".repeat(64);

export async function exportCase(
  deps: { db: Db; playback: PlaybackMedia; identity: BoxIdentity },
  c: Case,
  exportedBy: string,
  now: number,
): Promise<CaseExport> {
  const { db, playback, identity } = deps;
  const dir = `case-${c.id}`;
  const iso = (t: number) => new Date(t * 1000).toISOString();
  const stamp = (t: number) => iso(t).slice(0, 19).replace(/[-:]/g, "");
  const clips: { file: string; camera: string; start: string; end: string; size: number; sha256: string }[] =
    [];
  const skipped: { camera: string; start: string; end: string; why: string }[] = [];
  const entries: Entry[] = [];
  for (const span of c.spans) {
    const rows = recordingsBetween(db, span.camera, span.start, span.end, 100_000).filter(
      (r) => r.end_time > span.start && r.start_time < span.end,
    );
    const plan = rows.length ? await planClip(rows, span.start, span.end, playback) : undefined;
    if (!plan) {
      skipped.push({
        camera: span.camera,
        start: iso(span.start),
        end: iso(span.end),
        why: rows.length
          ? "its footage changes codec configuration: export it in parts"
          : "no footage stored",
      });
      continue;
    }
    const clip = signClip(db, identity, plan, {
      camera: span.camera,
      start: span.start,
      end: span.end,
      exportedBy,
      note: `case ${c.id}: ${c.title}`,
    });
    const file = `${span.camera}-${stamp(span.start)}Z-signed.mp4`;
    clips.push({
      file,
      camera: span.camera,
      start: iso(span.start),
      end: iso(span.end),
      size: clip.size,
      sha256: HEX64,
    });
    entries.push({ name: `${dir}/${file}`, size: clip.size, clip, index: clips.length - 1 });
  }
  const seals = c.spans.flatMap((s) =>
    sealsBetween(db, s.camera, s.start, s.end).map((seal) => ({
      body: seal.body,
      hash: seal.hash,
      signature: Buffer.from(seal.signature).toString("base64"),
    })),
  );
  const manifestText = () =>
    `${JSON.stringify(
      {
        v: 1,
        case: {
          id: c.id,
          title: c.title,
          note: c.note,
          created_at: iso(c.created_at),
          closed_at: c.closed_at && iso(c.closed_at),
          spans: c.spans,
        },
        exported_at: iso(now),
        exported_by: exportedBy,
        box: identity.subject,
        certificate_sha256: identity.fingerprint,
        clips,
        skipped,
        seals,
      },
      null,
      1,
    )}\n`;
  const manifestSize = Buffer.byteLength(manifestText()); // the same once the hashes are in: 64 hex digits each
  let manifest: Uint8Array | undefined;
  const manifestBytes = () => (manifest ??= new TextEncoder().encode(manifestText()));
  const certificate = new TextEncoder().encode(identity.certificatePem);
  const auditLines = new TextEncoder().encode(
    auditAbout(db, "case", c.id)
      .map((e) => `${JSON.stringify(e)}\n`)
      .join(""),
  );
  const howTo = new TextEncoder().encode(verifyText(c.id, identity.fingerprint));
  entries.push(
    { name: `${dir}/manifest.json`, size: manifestSize, bytes: manifestBytes },
    {
      name: `${dir}/manifest.sig`,
      size: identity.signatureLength,
      bytes: () =>
        sign("sha256", manifestBytes(), {
          key: identity.key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 20,
        }),
    },
    { name: `${dir}/certificate.pem`, size: certificate.length, bytes: () => certificate },
    { name: `${dir}/audit.jsonl`, size: auditLines.length, bytes: () => auditLines },
    { name: `${dir}/VERIFY.txt`, size: howTo.length, bytes: () => howTo },
  );
  const size = entries.reduce((n, e) => n + tarEntryLength(e.size), 0) + TAR_END.length;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const e of entries) {
      yield tarHeader(e.name, e.size, now);
      if ("clip" in e) {
        const hash = new Bun.CryptoHasher("sha256");
        for await (const chunk of e.clip.stream()) {
          hash.update(chunk);
          yield chunk;
        }
        clips[e.index]!.sha256 = hash.digest("hex");
      } else {
        const bytes = e.bytes();
        if (bytes.length !== e.size)
          throw new Error(`${e.name}: ${bytes.length} bytes, not the ${e.size} announced`);
        yield bytes;
      }
      yield tarPadding(e.size);
    }
    yield TAR_END;
  }
  return {
    name: `${dir}.tar`,
    size,
    stream: () => {
      const it = chunks();
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const r = await it.next();
            if (r.done) controller.close();
            else controller.enqueue(r.value);
          },
          async cancel() {
            await it.return(undefined);
          },
        },
        { highWaterMark: 1 },
      );
    },
  };
}

function verifyText(id: string, fingerprint: string): string {
  return `Case ${id}, exported by camkeep.

Every clip here is signed in the ONVIF Export File Format. The box that signed it has the
certificate in certificate.pem, SHA-256 fingerprint:
  ${fingerprint}
Ask the box's owner to confirm that fingerprint (GET /api/evidence/certificate on the box).

1. Each clip:       camkeep verify <clip>.mp4
   or, with openssl and coreutils only, the procedure in camkeep's docs/evidence.md
   ("With openssl and coreutils only"); ONVIF's reference player checks them too.
2. The manifest:    openssl x509 -in certificate.pem -noout -pubkey > public.pem
                    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20 \\
                      -sigopt rsa_mgf1_md:sha256 -verify public.pem -signature manifest.sig manifest.json
3. The clips are the ones listed: sha256sum *.mp4, and compare with "clips" in manifest.json.
4. The seals in manifest.json were made when the footage was recorded (each hour, chained and
   signed by the same box): each lists the segments of its hour with their SHA-256.
5. audit.jsonl: the box's audit entries about this case (made, changed, exported), each with
   the hash of the entry before it in the box's whole log.
`;
}
