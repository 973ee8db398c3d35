import { Cron } from "croner";
import * as v from "valibot";
import { RETAIN_MODES } from "../domain/retain.ts";
import { parsePolygon } from "../domain/geometry.ts";

/**
 * The configuration file's shape. Objects are strict: an unknown key is an error because it
 * is almost always a typo that would otherwise silently change what footage is kept.
 * `record` and `cameras.*.record` follow the reference NVR's names so its users can reuse
 * their configuration.
 */

export const CAMERA_NAME = /^[a-zA-Z0-9_-]+$/;

const seconds = (min: number, max: number) => v.pipe(v.number(), v.minValue(min), v.maxValue(max));
const wholeNumber = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const days = v.pipe(v.number(), v.minValue(0), v.maxValue(36500));

const RetainMode = v.picklist(RETAIN_MODES);

/** An IANA time zone name, as Intl knows them (the API's summary takes one too). */
export const TimeZone = v.pipe(
  v.string(),
  v.check((zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as UTC or Europe/Berlin"),
);

const cronPattern = v.pipe(
  v.string(),
  v.check((pattern) => {
    try {
      new Cron(pattern, { paused: true }).stop();
      return true;
    } catch {
      return false;
    }
  }, 'must be a cron pattern such as "15 3 * * *" (minute hour day month weekday)'),
);

/**
 * The retention keys of a `record` block, in both of the reference NVR's shapes (docs/configuration.md):
 * 0.12 (`retain`, `events`) and 0.15–0.17 (`continuous`, `motion`, `alerts`, `detections`).
 * No defaults here: which keys a block names decides its shape (config/retention.ts), and
 * the defaults are the shape's. `events.max_latency` is camkeep's own and goes with either.
 */
const reviewRetention = v.strictObject({
  pre_capture: v.optional(seconds(0, 3600)),
  post_capture: v.optional(seconds(0, 3600)),
  retain: v.optional(v.strictObject({ days: v.optional(days), mode: v.optional(RetainMode) })),
});
const labels = v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(100)));
const retentionKeys = {
  retain: v.optional(v.strictObject({ days: v.optional(days), mode: v.optional(RetainMode) })),
  events: v.optional(
    v.strictObject({
      pre_capture: v.optional(seconds(0, 3600)),
      post_capture: v.optional(seconds(0, 3600)),
      max_latency: v.optional(seconds(0, 3600)),
      /** camkeep's own: an event whose camera never says it ended ends after this (ONVIF states). */
      max_length: v.optional(seconds(1, 86_400)),
      /** 0.12: labels whose events keep footage (all when absent). */
      objects: v.optional(labels),
      /** 0.12: an event keeps footage only once it entered one of these zones. */
      required_zones: v.optional(labels),
      retain: v.optional(
        v.strictObject({
          default: v.optional(days),
          mode: v.optional(RetainMode),
          objects: v.optional(v.record(v.string(), days)),
        }),
      ),
    }),
  ),
  continuous: v.optional(v.strictObject({ days: v.optional(days) })),
  motion: v.optional(v.strictObject({ days: v.optional(days) })),
  alerts: v.optional(reviewRetention),
  detections: v.optional(reviewRetention),
  /** The reference's start-up sync of files and rows: camkeep always reconciles at start; accepted, nothing more to do. */
  sync_recordings: v.optional(v.boolean()),
};

/** A size: bytes, or "200GB", "500 MiB" (as storage.min_free, without "auto" or "%"). */
const Size = v.union(
  [
    v.pipe(v.number(), v.integer(), v.minValue(1)),
    v.pipe(v.string(), v.regex(/^\s*\d+(\.\d+)?\s*([kmgt]i?b|b)?\s*$/i)),
  ],
  'must be a size such as "200GB" or "500MiB"',
);

/** Global `record` settings. */
const RecordSchema = v.strictObject({
  enabled: v.optional(v.boolean(), true),
  /** Per camera: its oldest footage goes once it holds more (docs/tiers.md). Absent: no quota. */
  max_size: v.optional(Size),
  scan_interval: v.optional(seconds(1, 3600), 5),
  /**
   * Seconds stored segments may wait to be indexed together: one commit for many rows writes
   * far fewer database pages (SD-card wear). 0: index at the end of every pass.
   */
  commit_interval: v.optional(seconds(0, 300), 30),
  max_cache_segments: v.optional(wholeNumber(1, 10_000), 5),
  cache_timezone: v.optional(TimeZone, "UTC"),
  expire_interval: v.optional(wholeNumber(1, 10_080), 60),
  /** A cron pattern for expiry instead of the interval, e.g. "15 3 * * *" (03:15 daily, local time). */
  expire_at: v.optional(cronPattern),
  ...retentionKeys,
});

/** A camera's `record` block: any global key it names overrides the global value. */
const CameraRecordSchema = v.strictObject({
  enabled: v.optional(v.boolean()),
  max_size: v.optional(Size),
  max_cache_segments: v.optional(wholeNumber(1, 10_000)),
  cache_timezone: v.optional(TimeZone),
  /** Accepted as in the reference (global there); camkeep's expiry schedule is global. */
  expire_interval: v.optional(wholeNumber(1, 10_080)),
  ...retentionKeys,
});
export type RetentionBlock = Partial<v.InferOutput<typeof CameraRecordSchema>>;

/** A mask polygon "x1,y1,x2,y2,..." in relative coordinates; the reason when it is not one. */
const MaskPolygon = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const parsed = parsePolygon(dataset.value);
    if (typeof parsed === "string") addIssue({ message: `mask polygon "${dataset.value}" ${parsed}` });
  }),
);

/**
 * Motion judged from the footage (docs/motion.md), with the reference NVR's names. Global keys have
 * defaults; a camera's block overrides the keys it names.
 */
const motionKeys = {
  enabled: v.boolean(),
  threshold: wholeNumber(1, 255),
  contour_area: wholeNumber(1, 1_000_000),
  frame_height: wholeNumber(36, 1080),
  lightning_threshold: v.pipe(v.number(), v.minValue(0.05), v.maxValue(1)),
  mask: v.union([MaskPolygon, v.array(MaskPolygon)]),
};
const MotionSchema = v.strictObject({
  enabled: v.optional(motionKeys.enabled, true),
  threshold: v.optional(motionKeys.threshold, 30),
  contour_area: v.optional(motionKeys.contour_area, 10),
  frame_height: v.optional(motionKeys.frame_height, 100),
  lightning_threshold: v.optional(motionKeys.lightning_threshold, 0.8),
  mask: v.optional(motionKeys.mask, []),
});
const CameraMotionSchema = v.strictObject(
  Object.fromEntries(Object.entries(motionKeys).map(([k, s]) => [k, v.optional(s)])) as {
    [K in keyof typeof motionKeys]: v.OptionalSchema<(typeof motionKeys)[K], undefined>;
  },
);
export type MotionConfig = v.InferOutput<typeof MotionSchema>;

const ffmpegArgs = v.pipe(v.array(v.pipe(v.string(), v.maxLength(1000))), v.maxLength(100));

const CameraSchema = v.strictObject({
  /** Run a recorder for this camera: an RTSP/HTTP URL, a file, or any ffmpeg input (docs/recorders.md). */
  input: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(2000))),
  /** Seconds per segment the recorder writes. */
  segment_time: v.optional(wholeNumber(1, 60), 10),
  /** Extra ffmpeg options before -i (e.g. ["-f", "v4l2", "-input_format", "mjpeg"]). */
  input_args: v.optional(ffmpegArgs, []),
  /** Extra ffmpeg options for the output (e.g. ["-c:v", "libx264"] to encode instead of copy). */
  output_args: v.optional(ffmpegArgs, []),
  record: v.optional(CameraRecordSchema, {}),
  motion: v.optional(CameraMotionSchema, {}),
  /** The camera's own events over ONVIF, and optionally its stream's address (docs/onvif.md). */
  onvif: v.optional(
    v.strictObject({
      host: v.pipe(v.string(), v.minLength(1), v.maxLength(255)),
      port: v.optional(wholeNumber(1, 65_535), 80),
      user: v.optional(v.pipe(v.string(), v.maxLength(255))),
      password: v.optional(v.pipe(v.string(), v.maxLength(255))),
      password_file: v.optional(v.pipe(v.string(), v.minLength(1))),
      events: v.optional(v.boolean(), true),
      stream: v.optional(v.picklist(["main", "sub"], 'must be "main" or "sub"')),
    }),
  ),
});

/** "auto", a size such as "20GB" / "500 MiB" / a byte count, or a share such as "10%". */
const MinFree = v.union(
  [
    v.literal("auto"),
    v.pipe(v.number(), v.integer(), v.minValue(0)),
    v.pipe(v.string(), v.regex(/^\s*\d+(\.\d+)?\s*(%|[kmgt]i?b|b)?\s*$/i)),
  ],
  'must be "auto", a size such as "20GB", or a share such as "10%"',
);

/** An age: seconds, or "30m", "12h", "2d". */
const Age = v.union(
  [
    v.pipe(v.number(), v.minValue(0)),
    v.pipe(
      v.string(),
      v.regex(/^\s*\d+(\.\d+)?\s*[smhd]\s*$/, 'must be an age such as "30m", "12h" or "2d"'),
    ),
  ],
  'must be an age such as "30m", "12h" or "2d"',
);

const nonEmpty = v.pipe(v.string(), v.minLength(1));

/** A storage tier (docs/tiers.md): a second folder or an S3-compatible bucket. */
const TierSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(CAMERA_NAME, "tier names may hold only letters, digits, '-' and '_'")),
  /** A folder (a NAS share, a USB disk): its own volume marker, storage's layout. */
  path: v.optional(nonEmpty),
  s3: v.optional(
    v.strictObject({
      endpoint: v.pipe(v.string(), v.url("must be a URL such as https://s3.example.com")),
      bucket: nonEmpty,
      region: v.optional(nonEmpty, "us-east-1"),
      prefix: v.optional(
        v.pipe(
          v.string(),
          v.regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or folders ending in "/", such as "site-a/"'),
        ),
        "",
      ),
      access_key_id: nonEmpty,
      secret_access_key: v.optional(nonEmpty),
      secret_access_key_file: v.optional(nonEmpty),
    }),
  ),
  /** Footage older than this moves here. */
  after: v.optional(Age),
  /** Every kept segment is also copied here at once (an off-box backup). */
  copy: v.optional(v.boolean()),
  /** Bytes per second sent to this tier at most, e.g. "5MB". */
  max_rate: v.optional(Size),
  /** Transfers to this tier at once. */
  concurrency: v.optional(wholeNumber(1, 16), 2),
});

const Listen = v.pipe(
  v.string(),
  v.regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:5050"),
);

export const ConfigSchema = v.strictObject({
  data_dir: v.optional(v.pipe(v.string(), v.minLength(1)), "./data"),
  cache_dir: v.optional(v.pipe(v.string(), v.minLength(1))),
  recordings_dir: v.optional(v.pipe(v.string(), v.minLength(1))),
  database: v.optional(v.pipe(v.string(), v.minLength(1))),
  log: v.optional(
    v.strictObject({ level: v.optional(v.picklist(["debug", "info", "warn", "error"]), "info") }),
    {},
  ),
  api: v.optional(
    v.strictObject({
      listen: v.optional(Listen, "127.0.0.1:5050"),
      token: v.optional(v.pipe(v.string(), v.minLength(16, "must be at least 16 characters"))),
      token_file: v.optional(v.pipe(v.string(), v.minLength(1))),
      /** More names the API answers to (besides loopback, the listen address, this machine's name and IP addresses). */
      allowed_hosts: v.optional(
        v.array(v.pipe(v.string(), v.regex(/^[a-zA-Z0-9.-]+$/, "must be a host name such as nas.lan"))),
        [],
      ),
      /** Clip exports running at once; more are answered 429. */
      max_exports: v.optional(wholeNumber(1, 32), 2),
      /** Seconds an export may wait for a client that stopped reading before it is cut. */
      export_stall_timeout: v.optional(seconds(1, 600), 30),
      /**
       * HTTPS (docs/security.md#https): "self-signed" (made at first start, its fingerprint logged
       * and in status), or the operator's certificate and key (PEM). Absent: plain HTTP.
       */
      tls: v.optional(
        v.union(
          [
            v.literal("self-signed"),
            v.strictObject({
              cert_file: v.pipe(v.string(), v.minLength(1)),
              key_file: v.pipe(v.string(), v.minLength(1)),
            }),
          ],
          'must be "self-signed" or { cert_file, key_file }',
        ),
      ),
      /** With tls: also listen here for plain HTTP, answering every request with a redirect to HTTPS. */
      http_redirect: v.optional(Listen),
    }),
    {},
  ),
  storage: v.optional(
    v.strictObject({
      min_free: v.optional(MinFree, "auto"),
      /** Where footage goes next as it ages, or is copied at once (docs/tiers.md); in order. */
      tiers: v.optional(v.array(TierSchema), []),
    }),
    {},
  ),
  health: v.optional(
    v.strictObject({
      /** Seconds the event loop may be held before the watchdog ends camkeep for its service manager to restart. */
      max_stall: v.optional(seconds(5, 3600), 60),
    }),
    {},
  ),
  media: v.optional(
    v.strictObject({
      /** native: in-process MP4 validation and faststart, ffmpeg for what it declines; ffmpeg: always spawn ffprobe/ffmpeg. */
      engine: v.optional(v.picklist(["native", "ffmpeg"]), "native"),
    }),
    {},
  ),
  /** Hashes, signatures and the box's identity (docs/evidence.md). */
  evidence: v.optional(
    v.strictObject({
      /** The operator's own signing key (PEM) and its certificate (PEM, e.g. from their CA); both or neither. */
      key_file: v.optional(v.pipe(v.string(), v.minLength(1))),
      cert_file: v.optional(v.pipe(v.string(), v.minLength(1))),
      /** Bytes per second at most that hashing footage stored before hashing existed reads. */
      hash_rate: v.optional(Size, "8MB"),
      /** When the scrub hashes stored footage again (cron, local time): weekly, Sunday 03:00. */
      scrub_at: v.optional(cronPattern, "0 3 * * 0"),
      /** Bytes per second at most that the scrub reads. */
      scrub_rate: v.optional(Size, "4MB"),
    }),
    {},
  ),
  /**
   * Viewer mode (docs/archive.md#viewer-mode): no recorders, cache or expiry; the sites' archives
   * in buckets served read-only, each site's cameras as a group. Absent: a keeper.
   */
  viewer: v.optional(
    v.strictObject({
      /** Seconds between looks at the sites' manifests. */
      refresh: v.optional(seconds(10, 3600), 60),
      sites: v.pipe(
        v.array(
          v.strictObject({
            name: v.pipe(
              v.string(),
              v.regex(/^[a-zA-Z0-9_]+$/, "site names may hold only letters, digits and '_'"),
            ),
            /** A bucket tier of storage.tiers: the store and its keys. */
            tier: v.pipe(v.string(), v.minLength(1)),
            /** The site's prefix in that bucket; absent: the tier's own. */
            prefix: v.optional(
              v.pipe(
                v.string(),
                v.regex(
                  /^([A-Za-z0-9._-]+\/)*$/,
                  'must be empty or folders ending in "/", such as "site-a/"',
                ),
              ),
            ),
          }),
        ),
        v.minLength(1, "a viewer needs at least one site"),
      ),
    }),
  ),
  record: v.optional(RecordSchema, {}),
  motion: v.optional(MotionSchema, {}),
  /** MQTT (docs/mqtt.md): absent, no MQTT. */
  mqtt: v.optional(
    v.strictObject({
      host: v.optional(v.pipe(v.string(), v.minLength(1)), "127.0.0.1"),
      port: v.optional(wholeNumber(1, 65_535), 1883),
      user: v.optional(v.string()),
      password: v.optional(v.string()),
      password_file: v.optional(v.pipe(v.string(), v.minLength(1))),
      /** Absent: this box's own, chosen at its first start (mqtt/identity.ts). */
      client_id: v.optional(
        v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'")),
      ),
      topic_prefix: v.optional(
        v.pipe(v.string(), v.regex(/^[A-Za-z0-9_/-]{1,64}$/, "must be a topic without wildcards")),
      ),
      frigate: v.optional(
        v.strictObject({
          topic_prefix: v.optional(
            v.union([
              v.literal(false),
              v.pipe(v.string(), v.regex(/^[A-Za-z0-9_/-]{1,64}$/, "must be a topic without wildcards")),
            ]),
            "frigate",
          ),
        }),
        {},
      ),
      homeassistant: v.optional(
        v.strictObject({
          discovery_prefix: v.optional(
            v.union([
              v.literal(false),
              v.pipe(v.string(), v.regex(/^[A-Za-z0-9_/-]{1,64}$/, "must be a topic without wildcards")),
            ]),
            "homeassistant",
          ),
        }),
        {},
      ),
    }),
  ),
  cameras: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(CAMERA_NAME, "camera names may hold only letters, digits, '-' and '_'")),
      v.optional(CameraSchema, {}),
    ),
    {},
  ),
});

export type ParsedConfig = v.InferOutput<typeof ConfigSchema>;
export type RecordConfig = ParsedConfig["record"];
