import * as v from "valibot";
import { CAMERA_NAME, TimeZone } from "../config/schema.ts";
import { passwordProblem, USER_NAME } from "../people/passwords.ts";
import { DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS } from "../people/share-links.ts";
import { SEVERITIES } from "../domain/retain.ts";

/** Request shapes. Query values arrive as strings; bodies as JSON. Times are epoch seconds. */

const MAX_TIME = 4_102_444_800; // 2100-01-01
export const EpochSeconds = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(MAX_TIME));
export const epochQuery = v.pipe(
  v.string(),
  v.regex(/^\d+(\.\d+)?$/, "must be epoch seconds, e.g. 1790000000 or 1790000000.5"),
  v.transform(Number),
  EpochSeconds,
);
export const CameraName = v.pipe(
  v.string(),
  v.maxLength(64),
  v.regex(CAMERA_NAME, "must hold only letters, digits, '-' and '_'"),
);
// "." and ".." cannot be addressed in a URL path (clients normalise them away): refused, or
// such an event could never be read, changed or deleted again.
const EventId = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1–64 letters, digits, '.', '_' or '-'"),
  v.check((id) => id !== "." && id !== "..", "must not be '.' or '..' (a URL cannot address them)"),
);
const Label = v.pipe(v.string(), v.minLength(1), v.maxLength(100));

export const CameraParam = v.object({ camera: CameraName });

/** How many to answer at most: a whole number from 1 to `max`. */
export const limitQuery = (max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.minValue(1),
    v.maxValue(max),
  );

/** A span of time, its open ends all time; one that runs backwards is refused, naming `before`. */
export const RangeQuery = v.pipe(
  v.object({
    after: v.optional(epochQuery, "0"),
    before: v.optional(epochQuery, String(MAX_TIME)),
    limit: v.optional(limitQuery(100_000)),
  }),
  v.forward(
    v.check((q) => q.before >= q.after, "must not be before after"),
    ["before"],
  ),
);

export const SummaryQuery = v.object({ timezone: v.optional(TimeZone, "UTC") });

export const ClipQuery = v.object({
  start: epochQuery,
  end: epochQuery,
  /** 1: signed in the ONVIF Export File Format (docs/evidence.md). */
  signed: v.optional(v.picklist(["0", "1"], 'must be "1" (signed) or "0"')),
  /** Written into a signed export (who asked, and why). */
  note: v.optional(v.pipe(v.string(), v.maxLength(500, "must be at most 500 characters"))),
});

/** A time-lapse (docs/api.md#time-lapse): the span, and its speed or the result's length. */
export const TimelapseQuery = v.pipe(
  v.object({
    start: epochQuery,
    end: epochQuery,
    /** Seconds of the span per second of the result. */
    speed: v.optional(v.pipe(v.string(), v.transform(Number), v.number(), v.minValue(10), v.maxValue(3600))),
    /** Or the result's length, in seconds (the speed follows from the span). */
    duration: v.optional(
      v.pipe(v.string(), v.transform(Number), v.number(), v.minValue(1), v.maxValue(3600)),
    ),
  }),
  v.check(
    (q) => (q.speed === undefined) !== (q.duration === undefined),
    "give either speed (10–3600) or duration",
  ),
);

export const EventsQuery = v.object({
  camera: v.optional(CameraName),
  label: v.optional(Label),
  after: v.optional(epochQuery),
  before: v.optional(epochQuery),
  limit: RangeQuery.entries.limit,
});

/** A review item's severity (docs/configuration.md); none counts as an alert. */
const Severity = v.nullable(v.picklist(SEVERITIES));
/** Zones the object entered (record.events.required_zones looks at them). */
const Zones = v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(100))), v.maxLength(50));

export const NewEvent = v.strictObject({
  id: v.optional(EventId),
  camera: CameraName,
  label: Label,
  start_time: EpochSeconds,
  end_time: v.optional(v.nullable(EpochSeconds)),
  has_clip: v.optional(v.boolean()),
  retain_indefinitely: v.optional(v.boolean()),
  severity: v.optional(Severity),
  zones: v.optional(Zones),
});

export const EventChanges = v.strictObject({
  end_time: v.optional(v.nullable(EpochSeconds)),
  has_clip: v.optional(v.boolean()),
  retain_indefinitely: v.optional(v.boolean()),
  label: v.optional(Label),
  severity: v.optional(Severity),
  zones: v.optional(Zones),
});

export const EventIdParam = v.object({ id: EventId });
/** `<start>-<6 chars>`; in viewer mode prefixed by the site, `<site>.` (docs/archive.md#viewer-mode). */
const RecordingId = v.pipe(
  v.string(),
  v.regex(/^([A-Za-z0-9_]+\.)?[0-9.]+-[a-z0-9]{6}$/, "is not a recording id"),
);
export const RecordingIdParam = v.object({ id: RecordingId });

/** The keyframe view (trick play), or the whole footage. */
const KeyframesOnly = v.optional(v.picklist(["1"], 'must be "1" (the keyframe view) or absent'));
export const PlaylistQuery = v.object({ start: epochQuery, end: epochQuery, keys: KeyframesOnly });
export const FragmentQuery = v.object({
  /** Where the fragment's first frame is shown, seconds (the playlist's clock for its run). */
  t: epochQuery,
  seq: v.pipe(v.string(), v.regex(/^\d{1,9}$/, "must be a whole number"), v.transform(Number)),
  keys: KeyframesOnly,
});
export const InitParam = v.object({
  name: v.pipe(v.string(), v.regex(/^[0-9a-f]{24}\.mp4$/, "is not an init segment's name")),
});
export const InitQuery = v.object({ from: RecordingId, keys: KeyframesOnly });

/** Largest picture coordinate taken: beyond any camera's resolution, and far from overflowing sums. */
const MAX_COORDINATE = 100_000;
const Coordinate = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(MAX_COORDINATE));
const Box = v.pipe(
  v.array(Coordinate),
  v.length(4, "must be [x1, y1, x2, y2]"),
  v.check((b) => b[2]! >= b[0]! && b[3]! >= b[1]!, "must have x2 ≥ x1 and y2 ≥ y1"),
);
export const ActivityReport = v.strictObject({
  camera: CameraName,
  frames: v.pipe(
    v.array(
      v.object({
        frame_time: EpochSeconds,
        objects: v.optional(
          v.pipe(
            v.array(
              v.object({
                label: v.pipe(v.string(), v.maxLength(100)),
                false_positive: v.boolean(),
                motionless_count: v.pipe(v.number(), v.finite(), v.minValue(0)),
              }),
            ),
            v.maxLength(1000),
          ),
          [],
        ),
        motion_boxes: v.optional(v.pipe(v.array(Box), v.maxLength(1000)), []),
        regions: v.optional(v.pipe(v.array(Box), v.maxLength(1000)), []),
      }),
    ),
    v.maxLength(10_000),
  ),
});

/** A span of one camera's footage in a case (at most 24 h, as an export). */
const CaseSpanBody = v.pipe(
  v.strictObject({ camera: CameraName, start: EpochSeconds, end: EpochSeconds }),
  v.forward(
    v.check(
      (s) => s.end > s.start && s.end - s.start <= 24 * 3600,
      "must be after start, at most 24 h later",
    ),
    ["end"],
  ),
);
const CaseText = (max: number) => v.pipe(v.string(), v.maxLength(max, `must be at most ${max} characters`));

export const NewCaseBody = v.strictObject({
  title: v.pipe(CaseText(200), v.minLength(1, "must not be empty")),
  note: v.optional(CaseText(5000), ""),
  spans: v.pipe(v.array(CaseSpanBody), v.minLength(1, "a case holds at least one span"), v.maxLength(100)),
});

export const CaseChangeBody = v.strictObject({
  title: v.optional(v.pipe(CaseText(200), v.minLength(1, "must not be empty"))),
  note: v.optional(CaseText(5000)),
  add_spans: v.optional(v.pipe(v.array(CaseSpanBody), v.maxLength(100))),
  remove_spans: v.optional(v.array(v.pipe(v.number(), v.integer()))),
  closed: v.optional(v.boolean()),
});

export const CaseParam = v.object({
  // (in viewer mode prefixed by the site, `<site>.`: docs/archive.md#viewer-mode)
  id: v.pipe(v.string(), v.regex(/^([A-Za-z0-9_]+\.)?[0-9a-f]{16}$/, "must be a case id (16 hex digits)")),
});

const UserName = v.pipe(
  v.string(),
  v.regex(USER_NAME, "must be 1–32 lower-case letters, digits, '.', '_' or '-'"),
);
const Password = v.pipe(
  v.string(),
  v.check(
    (p) => passwordProblem(p) === undefined,
    (issue) => passwordProblem(String(issue.input))!,
  ),
);
const Role = v.picklist(["admin", "viewer"], "must be admin or viewer");
const Grants = v.pipe(v.array(CameraName), v.maxLength(1000));

export const UserParam = v.object({ name: UserName });
export const NewUserBody = v.strictObject({
  name: UserName,
  role: Role,
  password: Password,
  cameras: v.optional(Grants, []),
});
export const UserChangeBody = v.strictObject({
  role: v.optional(Role),
  password: v.optional(Password),
  cameras: v.optional(Grants),
});

export const ShareIdParam = v.object({
  id: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, "is not a share id")),
});
export const NewShareBody = v.pipe(
  v.strictObject({
    camera: CameraName,
    start: EpochSeconds,
    end: EpochSeconds,
    kind: v.optional(v.picklist(["clip", "playlist"], "must be clip or playlist"), "clip"),
    days: v.optional(
      v.pipe(
        v.number(),
        v.minValue(1 / 24, "must be at least an hour (1/24)"),
        v.maxValue(MAX_SHARE_DAYS, `must be at most ${MAX_SHARE_DAYS}`),
      ),
      DEFAULT_SHARE_DAYS,
    ),
    uses: v.optional(
      v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1), v.maxValue(10_000)),
    ),
    note: v.optional(v.pipe(v.string(), v.maxLength(500, "must be at most 500 characters")), ""),
  }),
  v.forward(
    v.check(
      (s) => s.end > s.start && s.end - s.start <= 24 * 3600,
      "must be after start, at most 24 h later",
    ),
    ["end"],
  ),
);
