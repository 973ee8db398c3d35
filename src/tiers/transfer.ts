import type { Transfer, TransferSource } from "../db/tiers.ts";
import type { TierLane, VerifiedCopy } from "./lane.ts";
import { md5Hex, type TierTarget } from "./target.ts";

/** The steps of a transfer after which a crash leaves a distinct state (the crash tests stop there). */
export type TransferStep = "after-upload" | "after-verify" | "after-commit" | "after-source-removed";
export type TransferFaults = (step: TransferStep, t: Transfer) => void | Promise<void>;

/**
 * Copies a recording into a tier and verifies the copy by its content (the store's MD5 of it,
 * or read back and compared) — never the writer's word alone. Returns the verified copy, to be
 * counted at the next commit; throws an Error saying what went wrong (the source is kept).
 */
export async function copyToTier(
  t: Transfer,
  src: TransferSource,
  lane: TierLane,
  from: (tier: string) => TierTarget | undefined,
  opts: { faults?: TransferFaults; nowS: () => number },
): Promise<VerifiedCopy> {
  const problem = lane.target.problem();
  if (problem) throw new Error(problem);
  const bytes = await readSource(src, from);
  let digest: string | undefined; // MD5 costs more than the rest of an S3 upload: only when a tier asks
  const md5 = () => (digest ??= md5Hex(bytes));
  await lane.pace(bytes.length);
  await lane.target.put(t.key, bytes, md5);
  await opts.faults?.("after-upload", t);
  const bad = await lane.target.verify(t.key, bytes, md5);
  if (bad) throw new Error(`tier ${t.tier}: ${t.key} failed verification (${bad}); the source is kept`);
  await opts.faults?.("after-verify", t);
  return { t, src, bytes: bytes.length, md5: digest ?? null, at: opts.nowS() };
}

/** The recording's bytes, from local storage or the tier it is in now. */
async function readSource(
  src: { tier: string | null; path: string },
  from: (tier: string) => TierTarget | undefined,
): Promise<Uint8Array> {
  if (src.tier === null) return await Bun.file(src.path).bytes();
  const target = from(src.tier);
  if (!target) throw new Error(`the recording is in tier ${src.tier}, which is no longer configured`);
  return await target.read(src.path);
}
