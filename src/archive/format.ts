import * as v from "valibot";

// The bucket's archive, format version 1 (docs/archive.md): what a bucket tier holds beside the
// segment objects so that it is a complete archive by itself. Every document is JSON with
// `format`, `version` and `kind`; readers refuse a version they do not know. Pure: the writer
// builds documents here, restore and the viewer read them here.

export const FORMAT = "camkeep-archive" as const;
export const VERSION = 1 as const;
/** Every document's key begins so (after the tier's prefix): segment keys begin with a date, never with this. */
export const ROOT = "camkeep-archive/v1/";
export const BOX_KEY = `${ROOT}box.json`;
export const CASES_KEY = `${ROOT}cases.json`;
export const HOURS = `${ROOT}hours/`;
export const EVENTS = `${ROOT}events/`;

const iso = (s: number) => new Date(s * 1000).toISOString();

/** `hours/<camera>/<YYYY-MM-DDTHH>.json`: UTC, so that keys sort as time does. */
export const hourKey = (camera: string, hour: number) => `${HOURS}${camera}/${iso(hour).slice(0, 13)}.json`;
/** `events/<camera>/<YYYY-MM-DD>.json`: the camera's events that started that UTC day. */
export const eventsKey = (camera: string, day: number) => `${EVENTS}${camera}/${iso(day).slice(0, 10)}.json`;

const head = <K extends string>(kind: K) => ({
  format: v.literal(FORMAT),
  version: v.literal(VERSION),
  kind: v.literal(kind),
  written_at: v.string(),
});

const camera = v.pipe(v.string(), v.regex(/^[a-zA-Z0-9_-]+$/, "a camera name"));
const time = v.pipe(v.number(), v.finite());

const segment = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  /** The segment object's key in the tier, after its prefix. */
  key: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}\/\d{2}\/[a-zA-Z0-9_-]+\/[^/]+\.mp4$/, "a segment key")),
  start: time,
  end: time,
  duration: v.pipe(v.number(), v.minValue(0)),
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  sha256: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))),
  motion: v.number(),
  objects: v.number(),
  unjudged: v.boolean(),
});

const seal = v.object({
  /** The seal's place in its camera's chain (the order the box made them). */
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  kind: v.picklist(["hour", "amendment"]),
  /** The signed text (evidence/seal.ts), its SHA-256, and the signature (base64). */
  body: v.string(),
  hash: v.string(),
  signature: v.string(),
});

const deletion = v.object({
  first: time,
  last: time,
  segments: v.number(),
  rule: v.string(),
  at: time,
});

export const HourManifest = v.object({
  ...head("hour"),
  camera,
  /** The hour's start: ISO, and epoch seconds. */
  hour: v.string(),
  hour_s: v.pipe(v.number(), v.integer()),
  /** The segments of the hour this tier holds now. */
  segments: v.array(segment),
  /** The hour's seal and amendments (docs/evidence.md#sealed-hours): they list what was recorded, whatever is held now. */
  seals: v.array(seal),
  /** Runs of the hour's footage deleted by a rule (expiry, quota, disk protection, scrub). */
  deleted: v.array(deletion),
});
export type HourManifest = v.InferOutput<typeof HourManifest>;

const event = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  camera,
  label: v.string(),
  start_time: time,
  end_time: v.nullable(time),
  has_clip: v.boolean(),
  retain_indefinitely: v.boolean(),
  severity: v.nullable(v.picklist(["alert", "detection"])),
  zones: v.array(v.string()),
});

export const EventsDay = v.object({
  ...head("events"),
  camera,
  day: v.string(),
  /** Every event of the camera that started that day, with its kept flag (retain_indefinitely). */
  events: v.array(event),
});
export type EventsDay = v.InferOutput<typeof EventsDay>;

export const CasesFile = v.object({
  ...head("cases"),
  cases: v.array(
    v.object({
      id: v.pipe(v.string(), v.minLength(1)),
      title: v.string(),
      note: v.string(),
      created_at: time,
      updated_at: time,
      closed_at: v.nullable(time),
      spans: v.array(v.object({ id: v.number(), camera, start: time, end: time })),
    }),
  ),
});
export type CasesFile = v.InferOutput<typeof CasesFile>;

export const BoxFile = v.object({
  ...head("box"),
  /** The box's name (its host name). */
  box: v.string(),
  /** Every certificate whose key signed seals in this archive, the box's own first (PEM). */
  certificates: v.array(v.object({ sha256: v.string(), pem: v.string() })),
});
export type BoxFile = v.InferOutput<typeof BoxFile>;

/** Parses a document of the archive, saying what is wrong (and where) when it is not one. */
export function parseDocument<S extends v.GenericSchema>(
  schema: S,
  key: string,
  text: string,
): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${key}: not JSON (${(e as Error).message})`);
  }
  const head = json as { format?: unknown; version?: unknown };
  if (head?.format === FORMAT && head.version !== VERSION)
    throw new Error(
      `${key}: archive format version ${String(head.version)}, this camkeep reads version ${VERSION}`,
    );
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  throw new Error(`${key}: ${v.getDotPath(issue) ?? "the document"}: ${issue.message}`);
}

/** A document's head, at `now` (epoch s). */
export const documentHead = <K extends string>(kind: K, now: number) => ({
  format: FORMAT,
  version: VERSION,
  kind,
  written_at: iso(now),
});
