import { sql } from "drizzle-orm";
import {
  blob,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/**
 * One row per stored segment. Invariant (docs/design.md#crash-safety): a row exists only for a complete copy where
 * `tier` and `path` say — a file is renamed into place before its row is inserted, a row is
 * pointed at a tier's copy only once that copy was verified (db/tiers.ts), and a local file is
 * deleted before its row. Times are UTC epoch seconds.
 */
export const recordings = sqliteTable(
  "recordings",
  {
    id: text("id").primaryKey(),
    camera: text("camera").notNull(),
    path: text("path").notNull().unique(),
    start_time: real("start_time").notNull(),
    end_time: real("end_time").notNull(),
    duration: real("duration").notNull(),
    /** Sum of motion-box areas over the segment's frames. */
    motion: integer("motion").notNull(),
    /** Active (moving, not false-positive) object sightings over the segment's frames. */
    objects: integer("objects").notNull(),
    /** Stored file size in bytes. */
    segment_size: integer("segment_size").notNull(),
    /** True when no activity was reported for the segment's span (docs/retention.md fail-safe). */
    unjudged: integer("unjudged", { mode: "boolean" }).notNull().default(false),
    /**
     * The storage tier holding the copy the row points at (docs/tiers.md): null for local storage,
     * where `path` is the file's absolute path; else a tier's name, and `path` the key the
     * segment has in every tier (storage's layout relative to its root).
     */
    tier: text("tier"),
    /**
     * Set once a copy or a transfer to a tier exists for the segment: only then does deleting
     * the row have to leave work for other tiers (the discards trigger), so that expiry of
     * footage no tier ever saw pays nothing for tiers.
     */
    tiered: integer("tiered", { mode: "boolean" }).notNull().default(false),
    /**
     * SHA-256 of the file's bytes as stored (hex), computed in the pass that wrote it
     * (docs/evidence.md). Null only for footage stored before hashing existed, until the
     * background hashing reaches it.
     */
    sha256: text("sha256"),
  },
  (t) => [
    // Covers the per-hour summary (duration, motion, objects) so it never reads the table.
    // Every index costs a page written per stored segment (SD-card wear): keep only those read.
    index("recordings_camera_start").on(t.camera, t.start_time, t.duration, t.motion, t.objects),
    // By tier, oldest first: what is due to move, what disk protection may free locally, and
    // (a few seeks per tier) the oldest and newest footage. One index, not one by start and
    // another by tier: every index costs each delete of expiry and each stored segment a write.
    index("recordings_tier_start").on(t.tier, t.start_time),
    // What the background hashing has left: empty once it is done, so it costs nothing after.
    index("recordings_unhashed").on(t.start_time).where(sql`${t.sha256} IS NULL`),
  ],
);

/** Detector events (docs/retention.md). A null end_time means the event is still in progress. */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    camera: text("camera").notNull(),
    label: text("label").notNull(),
    start_time: real("start_time").notNull(),
    end_time: real("end_time"),
    has_clip: integer("has_clip", { mode: "boolean" }).notNull().default(true),
    retain_indefinitely: integer("retain_indefinitely", { mode: "boolean" }).notNull().default(false),
    /** A review item's severity (docs/configuration.md): alert or detection; none is taken as an alert. */
    severity: text("severity", { enum: ["alert", "detection"] }),
    /** Zones the object entered (the reference's required_zones look at them). */
    zones: text("zones", { mode: "json" }).$type<string[]>().notNull().default([]),
  },
  (t) => [
    index("events_camera_start").on(t.camera, t.start_time),
    index("events_camera_end").on(t.camera, t.end_time),
  ],
);

export type Recording = typeof recordings.$inferSelect;
export type NewRecording = typeof recordings.$inferInsert;
export type Event = typeof events.$inferSelect;

/** One row, rewritten by the health check to prove the database still takes writes. */
export const healthProbe = sqliteTable("health_probe", {
  id: integer("id").primaryKey(),
  checked_at: real("checked_at").notNull(),
});

/**
 * Facts about this database that outlive a run, by key. `storage_id`: the identity of the
 * storage folder this index describes, also written in that folder's volume marker, so that
 * another camkeep's disk mounted in its place is recognised as such (docs/design.md#crash-safety).
 */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/**
 * The page's login sessions (docs/security.md): a random id in the browser's cookie, only its SHA-256
 * here, so the database gives no one a session. Expiring, revoked on logout, listable and
 * revocable from the CLI and the API.
 */
export const sessions = sqliteTable("sessions", {
  id_hash: text("id_hash").primaryKey(),
  created_at: real("created_at").notNull(),
  expires_at: real("expires_at").notNull(),
  /** Address and browser of the login, for a person to recognise it in a list. */
  client: text("client").notNull(),
  agent: text("agent").notNull(),
  /** Whose session: a user's name, or null for one begun with the API token (an admin's). */
  user: text("user"),
});

/**
 * The people who use the page and API (docs/security.md#users-and-roles): an `admin` may do
 * everything; a `viewer` watches and exports the cameras named in `cameras` (JSON list of names).
 * Only an argon2id hash of each password. A user removed or given a new password loses its
 * sessions in the same transaction (db/users.ts).
 */
export const users = sqliteTable("users", {
  name: text("name").primaryKey(),
  role: text("role", { enum: ["admin", "viewer"] }).notNull(),
  cameras: text("cameras", { mode: "json" }).$type<string[]>().notNull(),
  password_hash: text("password_hash").notNull(),
  created_at: real("created_at").notNull(),
  changed_at: real("changed_at").notNull(),
});

/**
 * Share links (docs/security.md#share-links): one camera's span for someone without an account.
 * The link carries the id and a MAC of this row's terms under the box's share secret; the row
 * says whether it still holds (expiry, revocation, uses). Never deleted by expiry: the list is
 * the record of what was shared.
 */
export const shares = sqliteTable("shares", {
  id: text("id").primaryKey(),
  camera: text("camera").notNull(),
  start: real("start").notNull(),
  end: real("end").notNull(),
  /** What the link opens first: the clip or the span's playlist (both are allowed by it). */
  kind: text("kind", { enum: ["clip", "playlist"] }).notNull(),
  note: text("note").notNull(),
  created_by: text("created_by").notNull(),
  created_at: real("created_at").notNull(),
  expires_at: real("expires_at").notNull(),
  /** Downloads allowed (null: any number until it expires), and made. */
  max_uses: integer("max_uses"),
  uses: integer("uses").notNull().default(0),
  revoked_at: real("revoked_at"),
});

/**
 * A camera's footage summed per quarter hour of segment start (UTC), and its events per quarter
 * hour of their start: what the summary reads instead of every segment and event. Kept in the same transaction as every insert and
 * delete of recordings (db/rollups.ts), so it is exact. Quarter hours because every real time
 * zone's offset is a whole number of them: local hours, DST days and Asia/Kolkata included,
 * are exact sums of buckets. Durations in milliseconds, so sums never drift.
 */
export const recordingBuckets = sqliteTable(
  "recording_buckets",
  {
    camera: text("camera").notNull(),
    bucket: integer("bucket").notNull(),
    segments: integer("segments").notNull(),
    duration_ms: integer("duration_ms").notNull(),
    bytes: integer("bytes").notNull(),
    motion: integer("motion").notNull(),
    objects: integer("objects").notNull(),
    /** Events starting in the quarter hour (an event's camera and start never change). */
    events: integer("events").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.camera, t.bucket] })],
);

/**
 * What each camera's footage adds up to (all tiers), kept in the same transaction as every insert
 * and delete of recordings (db/rollups.ts), so a decision that deletes (quotas) reads what the
 * database holds, whoever changed it: a `camkeep expire` beside the keeper included
 * (docs/design.md#crash-safety). A camera with no footage has no row.
 */
export const cameraTotals = sqliteTable("camera_totals", {
  camera: text("camera").primaryKey(),
  segments: integer("segments").notNull(),
  duration_ms: integer("duration_ms").notNull(),
  bytes: integer("bytes").notNull(),
});

/**
 * Verified copies of recordings in tiers other than the one their row points at (docs/tiers.md):
 * each was confirmed complete by its content (the store's MD5, or read back) before this row
 * was written, so it may stand in for the local file (disk protection) and must go when the
 * recording goes.
 */
export const copies = sqliteTable(
  "copies",
  {
    recording_id: text("recording_id").notNull(),
    tier: text("tier").notNull(),
    key: text("key").notNull(),
    bytes: integer("bytes").notNull(),
    /** The copy's MD5 when its verification computed one (S3); null for a folder's copy, compared byte for byte. */
    md5: text("md5"),
    verified_at: real("verified_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recording_id, t.tier] }),
    uniqueIndex("copies_tier_key").on(t.tier, t.key),
  ],
);

/**
 * The transfer queue (docs/tiers.md): a recording to copy to a tier, or to move there. It survives
 * restarts; a failed attempt sets the next try further off. Its target key may already hold
 * a partial or unverified object: the discards trigger removes that too if the recording goes.
 */
export const transfers = sqliteTable(
  "transfers",
  {
    recording_id: text("recording_id").notNull(),
    tier: text("tier").notNull(),
    key: text("key").notNull(),
    kind: text("kind", { enum: ["move", "copy"] }).notNull(),
    queued_at: real("queued_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    next_try_at: real("next_try_at").notNull(),
    last_error: text("last_error"),
    /**
     * What goes first (docs/tiers.md#events-first): 0 footage of an alert, 1 of a detection,
     * 2 with motion, 3 the rest (continuous footage, and every move).
     */
    priority: integer("priority").notNull().default(3),
  },
  (t) => [
    primaryKey({ columns: [t.recording_id, t.tier] }),
    // each tier's work that is due, events first
    index("transfers_tier_priority_next_try").on(t.tier, t.priority, t.next_try_at),
    index("transfers_tier_queued").on(t.tier, t.queued_at), // each tier's queue length and oldest item
    // A recording has one move queued at most: two at once (to the NAS and to S3) moved it back
    // and forth and left a discard beside a move to the same key (docs/design.md#tiers).
    uniqueIndex("transfers_one_move").on(t.recording_id).where(sql`kind = 'move'`),
  ],
);

/**
 * Objects in tiers that no recording needs any more (expired, moved on, or a transfer whose
 * recording went): removed by the tier worker, retried like transfers. Written in the same
 * transaction as the change that made them garbage, so none is forgotten across a crash.
 */
export const discards = sqliteTable(
  "discards",
  {
    tier: text("tier").notNull(),
    key: text("key").notNull(),
    queued_at: real("queued_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    next_try_at: real("next_try_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tier, t.key] }),
    index("discards_tier_next_try").on(t.tier, t.next_try_at),
  ],
);

/**
 * Signed exports given out (docs/evidence.md#signed-exports): the moment each was first asked
 * for and, once it was computed, its signature, so that the same URL gives the same bytes (an
 * RSASSA-PSS signature is randomised; the export time is part of what is signed).
 */
export const signedExports = sqliteTable("signed_exports", {
  /** SHA-256 of the export's content and of who asked, with which note. */
  id: text("id").primaryKey(),
  exported_at: real("exported_at").notNull(),
  signature: blob("signature", { mode: "buffer" }),
});

/**
 * Sealed camera-hours (docs/evidence.md#sealed-hours): each lists its segments (start, end,
 * size, hash), chains to the camera's previous seal by hash and is signed by the box. A segment
 * stored late into a sealed hour makes an amendment, chained after. Never deleted: footage
 * deleted by a rule stays listed in its seal.
 */
export const seals = sqliteTable(
  "seals",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    camera: text("camera").notNull(),
    /** The hour's start, UTC epoch seconds. */
    hour: integer("hour").notNull(),
    kind: text("kind", { enum: ["hour", "amendment"] }).notNull(),
    /** What is signed: canonical JSON (evidence/seal.ts). */
    body: text("body").notNull(),
    /** SHA-256 (hex) of the body: what the camera's next seal names as its previous. */
    hash: text("hash").notNull(),
    signature: blob("signature", { mode: "buffer" }).notNull(),
  },
  (t) => [index("seals_camera_hour").on(t.camera, t.hour)],
);

/** Per camera: where its seals have reached (hours before `sealed_until` are sealed) and its chain's last hash. */
export const sealHeads = sqliteTable("seal_heads", {
  camera: text("camera").primaryKey(),
  sealed_until: integer("sealed_until").notNull(),
  last_hash: text("last_hash").notNull(),
});

/**
 * Segments stored into an hour already sealed, waiting for their amendment. Filled by a trigger
 * on every insert of recordings (docs/design.md#crash-safety), so no way of storing skips it.
 */
export const lateSegments = sqliteTable("late_segments", {
  recording_id: text("recording_id").primaryKey(),
});

/** Footage deleted by a rule, per camera and run: what a check of the seals says of a segment no longer there. */
export const ruleDeletions = sqliteTable(
  "rule_deletions",
  {
    camera: text("camera").notNull(),
    first_start: real("first_start").notNull(),
    last_start: real("last_start").notNull(),
    segments: integer("segments").notNull(),
    rule: text("rule").notNull(),
    at: real("at").notNull(),
  },
  (t) => [index("rule_deletions_camera_start").on(t.camera, t.first_start)],
);

/**
 * Cases (docs/evidence.md#cases): spans of footage on one or more cameras, with a note, that no
 * rule deletes while the case is open (db/events.ts holds them like events kept forever).
 */
export const cases = sqliteTable("cases", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  note: text("note").notNull(),
  created_at: real("created_at").notNull(),
  updated_at: real("updated_at").notNull(),
  /** Set when the case is closed: its footage is then left to the rules again. */
  closed_at: real("closed_at"),
});

export const caseSpans = sqliteTable(
  "case_spans",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    case_id: text("case_id").notNull(),
    camera: text("camera").notNull(),
    start_time: real("start_time").notNull(),
    end_time: real("end_time").notNull(),
  },
  (t) => [
    index("case_spans_camera_start").on(t.camera, t.start_time),
    index("case_spans_case").on(t.case_id),
  ],
);

/**
 * The audit log (docs/evidence.md#the-audit-log): append-only, each entry chained to the one
 * before by hash (db/audit.ts is its only writer). Never updated, never deleted.
 */
export const audit = sqliteTable("audit", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  at: real("at").notNull(),
  /** Who: "admin" (the API token or the page's session), "camkeep" (the box itself). */
  actor: text("actor").notNull(),
  /** From where: the client's address, or "" for the box itself. */
  address: text("address").notNull(),
  action: text("action").notNull(),
  /** What exactly: JSON. */
  detail: text("detail").notNull(),
  /** SHA-256 (hex) of the entry before it ("" for the first) and of this one. */
  previous: text("previous").notNull(),
  hash: text("hash").notNull(),
});

/**
 * What the bucket's archive (docs/archive.md) must write again: a camera-hour's manifest
 * (`hour`, period = the hour's start), a camera-day's events (`events`, period = the day's
 * start), the cases (`cases`). Marked by triggers wherever the index changes (a copy made or
 * forgotten, a row repointed or deleted, a seal, an event, a case), so no writer skips it;
 * `changes` counts marks, so a mark made while the manifest was being written is not lost.
 */
export const archiveDirty = sqliteTable(
  "archive_dirty",
  {
    kind: text("kind", { enum: ["hour", "events", "cases"] }).notNull(),
    camera: text("camera").notNull(),
    period: integer("period").notNull(),
    /** When first marked (epoch s): an hour's manifest waits a little, so a busy hour is written once a while. */
    since: real("since").notNull(),
    changes: integer("changes").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.kind, t.camera, t.period] })],
);
