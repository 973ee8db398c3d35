import type { Db } from "../db/open.ts";
import { recordingsBetween } from "../db/recordings.ts";
import { sealsBetween } from "../db/seals.ts";
import { planClip } from "../playback/clip.ts";
import type { PlaybackMedia } from "../playback/media.ts";
import { partsStream } from "../playback/parts.ts";
import type { FootageLocator } from "../tiers/footage.ts";
import { hashAtRate } from "./rated-hash.ts";
import type { SealBody } from "./seal.ts";
import type { ExportCheck } from "./verify.ts";

// `camkeep verify FILE --seals` (docs/evidence.md#checking-a-signed-export): a signed export
// checked against the box that made it — the clip is rebuilt from the stored segments it was cut
// from and compared byte for byte, and each of those segments is shown to be the one sealed when
// it was recorded.

export interface RecordedCheck {
  /** Every check held: the clip's frames are those of segments sealed at recording time. */
  holds: boolean;
  lines: string[];
}

export async function checkRecorded(
  deps: { db: Db; footage: FootageLocator; playback: PlaybackMedia },
  path: string,
  signed: ExportCheck,
): Promise<RecordedCheck> {
  const { db, footage, playback } = deps;
  const said = JSON.parse(signed.information) as { camera?: string; start?: string; end?: string };
  if (!said.camera || !said.start || !said.end)
    return { holds: false, lines: ["the export does not say which camera and span it holds"] };
  const camera = said.camera;
  const start = Date.parse(said.start) / 1000;
  const end = Date.parse(said.end) / 1000;
  const rows = recordingsBetween(db, camera, start, end, 100_000).filter(
    (r) => r.end_time > start && r.start_time < end,
  );
  const lines: string[] = [];
  let holds = rows.length > 0;
  if (!rows.length) lines.push(`no stored footage of ${camera} in that span any more: cannot compare`);
  const sealedAt: string[] = [];
  const abort = new AbortController();
  for (const row of rows) {
    const at = new Date(row.start_time * 1000).toISOString();
    const bytes = await footage.bytes(row);
    const now =
      bytes &&
      (await hashAtRate(await bytes.stream(0, row.segment_size), Number.POSITIVE_INFINITY, abort.signal));
    if (now !== row.sha256) {
      holds = false;
      lines.push(
        `segment ${at}: ${now ? "its bytes are not those hashed when it was stored" : "cannot be read"}`,
      );
      continue;
    }
    const seal = sealsBetween(db, camera, row.start_time, row.start_time + 1)
      .map((s) => JSON.parse(s.body) as SealBody)
      .find((b) =>
        b.segments.some(
          ([s, , size, hash]) => s === row.start_time && size === row.segment_size && hash === row.sha256,
        ),
      );
    if (!seal) {
      holds = false;
      lines.push(
        `segment ${at}: not in a seal (its hour is not sealed yet, or the seal lists another segment)`,
      );
    } else sealedAt.push(seal.made_at);
  }
  const plan = rows.length ? await planClip(rows, start, end, playback) : undefined;
  if (rows.length && !plan) {
    holds = false;
    lines.push("the stored segments cannot be cut into a clip again here");
  }
  if (plan) {
    const file = Bun.file(path);
    let same = file.size >= plan.size;
    let at = 0;
    for await (const chunk of partsStream(plan.parts)) {
      if (!same) break;
      const theirs = new Uint8Array(await file.slice(at, at + chunk.length).arrayBuffer());
      same = Buffer.from(theirs).equals(chunk);
      at += chunk.length;
    }
    if (!same) {
      holds = false;
      lines.push("the clip's bytes are not those cut from the stored segments now");
    }
  }
  if (holds)
    lines.unshift(
      `recorded by camera ${camera} between ${said.start} and ${said.end}, sealed at ${sealedAt.sort()[0]}${sealedAt.length > 1 ? `–${sealedAt.at(-1)}` : ""}, unaltered: its frames are those of ${rows.length} stored segments, each the one sealed when it was recorded`,
    );
  return { holds, lines };
}
