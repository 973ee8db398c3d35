import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/load.ts";
import { eventsAddedAfter, insertEvent, labelsOf, newestEventRowid } from "../db/events.ts";
import type { Event } from "../db/schema.ts";
import type { Db } from "../db/open.ts";
import { newestRecording } from "../db/recordings.ts";
import { newId } from "../domain/id.ts";
import type { ActivityStore } from "../keeper/activity.ts";
import { logger } from "../log/log.ts";
import { firstPicture } from "../playback/picture.ts";
import type { FootageLocator } from "../tiers/footage.ts";
import { VERSION } from "../version.ts";

// camkeep's entities in Home Assistant (MQTT discovery, docs/mqtt.md): the box as a device with its
// sensors, and a device per camera (linked to the box's) with its motion, its latest still, its
// events and a "keep the last 10 minutes" button.

const log = logger("mqtt");

/** Motion goes "off" once camkeep has judged this long of footage without motion after the last motion (a quiet minute). */
export const MOTION_QUIET_S = 60;
/**
 * …or once the last motion is this much older than the quiet minute by the wall clock: a camera
 * whose footage stops coming (nothing judged after the motion) does not stay "on" for good.
 * Well above how late footage is judged (a segment, the commit interval and the decoder: ~55 s).
 */
const MOTION_STALE_S = 120;
/** A camera's still is sent at most this often, and only when newer footage was stored. */
const STILL_EVERY_MS = 60_000;
const STILL_HEIGHT = 360;
/** Stills larger than this are not sent (a broker's default message limit is far above; HA's recorder is not). */
const MAX_STILL_BYTES = 256 * 1024;
/** The button keeps this much of the camera's footage, up to now, forever. */
const KEEP_S = 600;
/** Labels every camera's event entity offers before any is seen ("kept": its button's). */
const DEFAULT_EVENT_TYPES = ["person", "car", "animal", "motion", "kept"];

export interface HomeAssistantDeps {
  config: Config;
  db: Db;
  activity: ActivityStore;
  footage: FootageLocator;
}

export type Publish = (topic: string, payload: string | Buffer, retain: boolean) => void;

/**
 * The discovery configs and what feeds the per-camera entities. `tick` (every few seconds)
 * publishes what changed: motion ON/OFF, a new still, each new event once.
 */
export class HomeAssistantEntities {
  private readonly motion = new Map<string, boolean>();
  private readonly still = new Map<string, { recording: string; at: number }>();
  private readonly labels = new Map<string, Set<string>>();
  /** Events are announced as they are added (by rowid), whenever they started; those before camkeep started are not news. */
  private lastEvent: number;
  /** Events of a label new to their camera wait a tick: its event type reaches Home Assistant first. */
  private waiting: Event[] = [];
  private making = false;

  constructor(
    private readonly deps: HomeAssistantDeps,
    private readonly prefix: string,
    /** This box's client id: the entities' node and unique ids. */
    private readonly node: string,
    private readonly quietSeconds = MOTION_QUIET_S,
  ) {
    this.lastEvent = newestEventRowid(deps.db);
  }

  /** The command topics camkeep listens on (the buttons). */
  commandTopics(): string[] {
    return Object.keys(this.deps.config.cameras).map((c) => this.keepTopic(c));
  }

  private keepTopic(camera: string): string {
    return `${this.prefix}/${camera}/keep_last_10_minutes`;
  }

  /** A button pressed: the camera's last 10 minutes kept forever (an event retained indefinitely). */
  command(topic: string, payload: string): boolean {
    const camera = Object.keys(this.deps.config.cameras).find((c) => this.keepTopic(c) === topic);
    if (!camera) return false;
    if (payload !== "PRESS") return true;
    const now = Date.now() / 1000;
    insertEvent(this.deps.db, {
      id: newId(Math.floor(now)),
      camera,
      label: "kept",
      start_time: now - KEEP_S,
      end_time: now,
      has_clip: true,
      retain_indefinitely: true,
      severity: "alert",
      zones: [],
    });
    log.info(`${camera}: its last 10 minutes are kept forever (Home Assistant's button)`);
    return true;
  }

  /**
   * Every entity's discovery config: [topic, config]. As Home Assistant's naming guidance asks:
   * entities named for what they are (HA shows them after their device's name), their devices
   * named for what they are (the box, each camera, linked to the box by `via_device`); technical
   * sensors are diagnostic. Only keys HA's MQTT integration documents.
   * Unique ids and object ids never change (entity ids and histories survive upgrades).
   */
  configs(): [string, object][] {
    const dp = this.deps.config.mqtt!.homeassistant.discovery_prefix;
    if (!dp) return [];
    const node = this.node;
    const box = {
      identifiers: [`camkeep_${node}`],
      name: "camkeep",
      manufacturer: "camkeep",
      model: "Recording keeper",
      sw_version: VERSION,
      ...(this.pageUrl() ? { configuration_url: this.pageUrl() } : {}),
    };
    const availability = [{ topic: `${this.prefix}/available` }];
    const out: [string, object][] = [];
    const config = (component: string, object: string, device: object, body: object) =>
      out.push([
        `${dp}/${component}/${node}/${object}/config`,
        {
          ...body,
          unique_id: `${node}_${object}`,
          object_id: `${node}_${object}`,
          device,
          availability,
        },
      ]);
    const storage = `${this.prefix}/storage/state`;
    // In GB (the state stays in bytes for other clients): what a person reads a disk in.
    const gigabytes = {
      unit_of_measurement: "GB",
      device_class: "data_size",
      state_class: "measurement",
      suggested_display_precision: 1,
      entity_category: "diagnostic",
    };
    config("sensor", "storage_free", box, {
      name: "Storage free",
      state_topic: storage,
      value_template: "{{ (value_json.free_bytes / 1e9) | round(2) }}",
      ...gigabytes,
    });
    config("sensor", "footage_kept", box, {
      name: "Footage kept",
      state_topic: storage,
      value_template: "{{ (value_json.kept_bytes / 1e9) | round(2) }}",
      ...gigabytes,
    });
    config("sensor", "storage_days_held", box, {
      name: "Storage days held",
      state_topic: storage,
      value_template: "{{ value_json.days_held }}",
      unit_of_measurement: "d",
      device_class: "duration",
      suggested_display_precision: 1,
    });
    config("binary_sensor", "health", box, {
      name: "Health",
      state_topic: storage,
      value_template: "{{ 'OFF' if value_json.healthy else 'ON' }}",
      device_class: "problem",
      entity_category: "diagnostic",
    });
    for (const camera of Object.keys(this.deps.config.cameras)) {
      const device = {
        identifiers: [`camkeep_${node}_${camera}`],
        name: camera,
        manufacturer: "camkeep",
        model: "Camera",
        via_device: `camkeep_${node}`,
      };
      const state = `${this.prefix}/${camera}/state`;
      config("binary_sensor", `${camera}_recording`, device, {
        name: "Recording",
        state_topic: state,
        value_template: "{{ 'ON' if value_json.recording else 'OFF' }}",
        device_class: "running",
        entity_category: "diagnostic",
      });
      config("sensor", `${camera}_last_segment_age`, device, {
        name: "Last segment age",
        state_topic: state,
        value_template: "{{ value_json.last_segment_age_s }}",
        unit_of_measurement: "s",
        device_class: "duration",
        entity_category: "diagnostic",
      });
      config("sensor", `${camera}_hours_kept`, device, {
        name: "Footage kept",
        state_topic: state,
        value_template: "{{ value_json.hours_kept }}",
        unit_of_measurement: "h",
        device_class: "duration",
        state_class: "measurement",
        suggested_display_precision: 1,
        entity_category: "diagnostic",
      });
      config("sensor", `${camera}_stored_per_day`, device, {
        name: "Stored per day",
        state_topic: state,
        value_template:
          "{{ none if value_json.bytes_per_day is none else (value_json.bytes_per_day / 1e9) | round(2) }}",
        unit_of_measurement: "GB/d",
        state_class: "measurement",
        suggested_display_precision: 1,
        entity_category: "diagnostic",
      });
      if (this.deps.config.cameras[camera]!.record.max_size !== undefined)
        config("sensor", `${camera}_quota_days_left`, device, {
          name: "Quota full in",
          state_topic: state,
          value_template: "{{ value_json.quota_days_left }}",
          unit_of_measurement: "d",
          device_class: "duration",
          suggested_display_precision: 0,
        });
      config("binary_sensor", `${camera}_motion`, device, {
        name: "Motion",
        state_topic: `${this.prefix}/${camera}/motion`,
        device_class: "motion",
      });
      config("image", `${camera}_still`, device, {
        name: "Latest picture",
        image_topic: `${this.prefix}/${camera}/still`,
        content_type: "image/jpeg",
      });
      config("event", `${camera}_event`, device, {
        name: "Event",
        state_topic: `${this.prefix}/${camera}/event`,
        event_types: this.eventTypes(camera),
      });
      config("button", `${camera}_keep_last_10_minutes`, device, {
        name: "Keep last 10 minutes",
        command_topic: this.keepTopic(camera),
        payload_press: "PRESS",
        icon: "mdi:content-save-alert",
      });
    }
    return out;
  }

  /** The page's address as Home Assistant can reach it, or undefined when camkeep listens on loopback or a port chosen at start. */
  private pageUrl(): string | undefined {
    const { host, port } = this.deps.config.api;
    if (!port || host === "127.0.0.1" || host === "::1" || host === "localhost") return undefined;
    const name = host === "0.0.0.0" || host === "::" ? hostname() : host.includes(":") ? `[${host}]` : host;
    return `http://${name}:${port}/`;
  }

  private eventTypes(camera: string): string[] {
    let seen = this.labels.get(camera);
    if (!seen)
      this.labels.set(camera, (seen = new Set([...DEFAULT_EVENT_TYPES, ...labelsOf(this.deps.db, camera)])));
    return [...seen].sort();
  }

  /**
   * Discovery topics published before (listed in the data folder) that are not published now
   * — a removed camera's entities: Home Assistant removes an entity whose config is emptied.
   */
  stale(current: readonly string[]): string[] {
    const file = join(this.deps.config.dataDir, "mqtt-discovery.json");
    let before: string[] = [];
    try {
      if (existsSync(file)) before = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      before = [];
    }
    writeFileSync(file, JSON.stringify(current));
    const now = new Set(current);
    return before.filter((t) => typeof t === "string" && !now.has(t));
  }

  /** What changed since the last tick, published: motion, stills, new events. `rediscover` when a new label needs a config. */
  tick(publish: Publish, rediscover: () => void): void {
    const now = Date.now() / 1000;
    const { config, db } = this.deps;
    for (const camera of Object.keys(config.cameras)) {
      const on = this.motionOn(camera, now);
      if (this.motion.get(camera) !== on) {
        this.motion.set(camera, on);
        publish(`${this.prefix}/${camera}/motion`, on ? "ON" : "OFF", true);
      }
      this.stillOf(camera, publish);
    }
    // Events that waited a tick for their type's config, then those added since the last tick.
    const ready = this.waiting;
    this.waiting = [];
    for (const e of ready) this.announce(e, publish);
    let newLabel = false;
    for (const e of eventsAddedAfter(db, this.lastEvent, 100)) {
      this.lastEvent = e.rowid;
      if (!config.cameras[e.camera]) continue;
      const types = this.labels.get(e.camera);
      if (types && !types.has(e.label)) {
        types.add(e.label);
        newLabel = true;
        this.waiting.push(e);
      } else if (this.waiting.some((w) => w.camera === e.camera))
        this.waiting.push(e); // in order
      else this.announce(e, publish);
    }
    if (newLabel) rediscover();
  }

  /**
   * Motion on while camkeep's judgement of the camera's footage has not gone a quiet minute past
   * its last motion: the minute is counted on the footage judged (which comes ~a minute late), not
   * on the wall clock, so a scene that keeps moving stays "on" without a gap between judgements.
   */
  private motionOn(camera: string, now: number): boolean {
    const { activity } = this.deps;
    const last = activity.lastMotionSince(camera, now - this.quietSeconds - MOTION_STALE_S);
    if (last === undefined) return false;
    const judged = activity.newestBufferedTime(camera) ?? last;
    return judged - last < this.quietSeconds;
  }

  private announce(e: Event, publish: Publish): void {
    publish(
      `${this.prefix}/${e.camera}/event`,
      JSON.stringify({
        event_type: e.label,
        event_id: e.id,
        severity: e.severity ?? "alert",
        start_time: e.start_time,
      }),
      false,
    );
  }

  /** The newest stored footage's picture, when newer footage was stored and a minute has passed (one ffmpeg at a time). */
  private stillOf(camera: string, publish: Publish): void {
    const newest = newestRecording(this.deps.db, camera);
    const last = this.still.get(camera);
    if (
      !newest ||
      this.making ||
      last?.recording === newest.id ||
      (last && Date.now() - last.at < STILL_EVERY_MS)
    )
      return;
    const source = this.deps.footage.source(newest);
    if (!source) return;
    this.making = true;
    this.still.set(camera, { recording: newest.id, at: Date.now() });
    void firstPicture(source, STILL_HEIGHT)
      .then((jpeg) => {
        if (jpeg && jpeg.length <= MAX_STILL_BYTES)
          publish(`${this.prefix}/${camera}/still`, Buffer.from(jpeg), true);
      })
      .finally(() => (this.making = false));
  }
}
