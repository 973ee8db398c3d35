import * as v from "valibot";
import { EpochSeconds } from "../api/schemas.ts";
import type { Severity } from "../domain/retain.ts";

/**
 * What the reference NVR publishes (docs/mqtt.md), as camkeep reads it. Pure: a payload in, an
 * event to keep (or the reason it is not one) out.
 */

/** Largest payload read; more is refused unread (counted). */
export const MAX_PAYLOAD = 64 * 1024;

const Id = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._-]{1,64}$/),
  v.check((id) => id !== "." && id !== ".."),
);
const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(100));
const After = v.object({
  id: Id,
  camera: v.pipe(v.string(), v.regex(/^[a-zA-Z0-9_-]{1,64}$/)),
  label: v.optional(Name),
  start_time: EpochSeconds,
  end_time: v.optional(v.nullable(EpochSeconds)),
  has_clip: v.optional(v.boolean()),
  false_positive: v.optional(v.boolean()),
  entered_zones: v.optional(v.pipe(v.array(Name), v.maxLength(50))),
  current_zones: v.optional(v.array(v.unknown())),
  severity: v.optional(v.picklist(["alert", "detection"])),
  data: v.optional(
    v.object({
      objects: v.optional(v.array(v.unknown())),
      zones: v.optional(v.pipe(v.array(Name), v.maxLength(50))),
    }),
  ),
});
const Envelope = v.object({ type: v.optional(v.string()), after: After });

export interface IncomingEvent {
  id: string;
  camera: string;
  label: string;
  start_time: number;
  end_time: number | null;
  has_clip: boolean;
  severity: Severity | null;
  zones: string[];
}

export type Parsed =
  | { ok: true; event: IncomingEvent }
  | { ok: false; reason: "malformed" | "false_positive" };

/** `<frigate>/events` (`review` false) and `<frigate>/reviews` (`review` true) messages. */
export function parseMessage(payload: Uint8Array, review: boolean): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const parsed = v.safeParse(Envelope, json);
  if (!parsed.success) return { ok: false, reason: "malformed" };
  const a = parsed.output.after;
  if (a.false_positive) return { ok: false, reason: "false_positive" };
  const objects = a.data?.objects?.filter((o): o is string => typeof o === "string") ?? [];
  return {
    ok: true,
    event: {
      id: a.id,
      camera: a.camera,
      label: a.label ?? (review ? (objects[0] ?? "review") : "object"),
      start_time: a.start_time,
      end_time: a.end_time ?? null,
      has_clip: a.has_clip ?? true,
      severity: review ? (a.severity ?? "alert") : null,
      zones: a.entered_zones ?? a.data?.zones ?? [],
    },
  };
}
