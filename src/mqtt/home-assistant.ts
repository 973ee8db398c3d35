import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/load.ts";
import { eventsStartedAfter, insertEvent, labelsOf } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import { newestRecording } from "../db/recordings.ts";
import { newId } from "../domain/id.ts";
import type { ActivityStore } from "../keeper/activity.ts";
import { logger } from "../log/log.ts";
import { firstPicture } from "../playback/picture.ts";
import type { Footage } from "../tiers/footage.ts";

// camkeep's entities in Home Assistant (MQTT discovery, docs/mqtt.md): one device, its sensors,
// and per camera its motion, its latest still, its events and a "keep the last 10 minutes" button.

const log = logger("mqtt");

/** Motion stays "on" this long after the last frame with motion (a quiet minute turns it off). */
export const MOTION_QUIET_S = 60;
/** A camera's still is sent at most this often, and only when newer footage was stored. */
const STILL_EVERY_MS = 60_000;
const STILL_HEIGHT = 360;
/** Stills larger than this are not sent (a broker's default message limit is far above; HA's recorder is not). */
const MAX_STILL_BYTES = 256 * 1024;
/** New events are looked for this far back (a camera's own events may start before they are stored). */
const EVENT_WINDOW_S = 180;
/** The button keeps this much of the camera's footage, up to now, forever. */
const KEEP_S = 600;
/** Labels every camera's event entity offers before any is seen. */
const DEFAULT_EVENT_TYPES = ["person", "car", "animal", "motion"];

export interface HomeAssistantDeps {
  config: Config;
  db: Db;
  activity: ActivityStore;
  footage: Footage;
}

export type Publish = (topic: string, payload: string | Buffer, retain: boolean) => void;

/**
 * The discovery configs and what feeds the per-camera entities. `tick` (every few seconds)
 * publishes what changed: motion ON/OFF, a new still, each new event once.
 */
export class HomeAssistantEntities {
  private readonly motion = new Map<string, boolean>();
  private readonly still = new Map<string, { recording: string; at: number }>();
  private readonly announced = new Map<string, number>(); // event id → its start, while in the window
  private readonly labels = new Map<string, Set<string>>();
  private since = Date.now() / 1000; // events before camkeep started are not news
  private making = false;

  constructor(
    private readonly deps: HomeAssistantDeps,
    private readonly prefix: string,
    /** This box's client id: the entities' node and unique ids. */
    private readonly node: string,
    private readonly quietSeconds = MOTION_QUIET_S,
  ) {}

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

  /** Every entity's discovery config: [topic, config]. */
  configs(): [string, object][] {
    const dp = this.deps.config.mqtt!.homeassistant.discovery_prefix;
    if (!dp) return [];
    const node = this.node;
    const device = {
      identifiers: [`camkeep_${node}`],
      name: "camkeep",
      manufacturer: "camkeep",
      model: "recording keeper",
    };
    const availability = [{ topic: `${this.prefix}/available` }];
    const out: [string, object][] = [];
    const config = (component: string, object: string, body: object) =>
      out.push([
        `${dp}/${component}/${node}/${object}/config`,
        { ...body, unique_id: `${node}_${object}`, object_id: `${node}_${object}`, device, availability },
      ]);
    const storage = `${this.prefix}/storage/state`;
    config("sensor", "storage_free", {
      name: "Storage free",
      state_topic: storage,
      value_template: "{{ value_json.free_bytes }}",
      unit_of_measurement: "B",
      device_class: "data_size",
      state_class: "measurement",
    });
    config("sensor", "footage_kept", {
      name: "Footage kept",
      state_topic: storage,
      value_template: "{{ value_json.kept_bytes }}",
      unit_of_measurement: "B",
      device_class: "data_size",
      state_class: "measurement",
    });
    config("binary_sensor", "health", {
      name: "Health",
      state_topic: storage,
      value_template: "{{ 'OFF' if value_json.healthy else 'ON' }}",
      device_class: "problem",
    });
    for (const camera of Object.keys(this.deps.config.cameras)) {
      const state = `${this.prefix}/${camera}/state`;
      config("binary_sensor", `${camera}_recording`, {
        name: `${camera} recording`,
        state_topic: state,
        value_template: "{{ 'ON' if value_json.recording else 'OFF' }}",
        device_class: "running",
      });
      config("sensor", `${camera}_last_segment_age`, {
        name: `${camera} last segment age`,
        state_topic: state,
        value_template: "{{ value_json.last_segment_age_s }}",
        unit_of_measurement: "s",
        device_class: "duration",
      });
      config("sensor", `${camera}_hours_kept`, {
        name: `${camera} hours kept`,
        state_topic: state,
        value_template: "{{ value_json.hours_kept }}",
        unit_of_measurement: "h",
        state_class: "measurement",
      });
      config("binary_sensor", `${camera}_motion`, {
        name: `${camera} motion`,
        state_topic: `${this.prefix}/${camera}/motion`,
        device_class: "motion",
      });
      config("image", `${camera}_still`, {
        name: `${camera} latest picture`,
        image_topic: `${this.prefix}/${camera}/still`,
        content_type: "image/jpeg",
      });
      config("event", `${camera}_event`, {
        name: `${camera} event`,
        state_topic: `${this.prefix}/${camera}/event`,
        event_types: this.eventTypes(camera),
      });
      config("button", `${camera}_keep_last_10_minutes`, {
        name: `${camera} keep the last 10 minutes forever`,
        command_topic: this.keepTopic(camera),
        payload_press: "PRESS",
        icon: "mdi:content-save-alert",
      });
    }
    return out;
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
    const { config, db, activity } = this.deps;
    let newLabel = false;
    for (const camera of Object.keys(config.cameras)) {
      const on = activity.lastMotionSince(camera, now - this.quietSeconds) !== undefined;
      if (this.motion.get(camera) !== on) {
        this.motion.set(camera, on);
        publish(`${this.prefix}/${camera}/motion`, on ? "ON" : "OFF", true);
      }
      for (const e of eventsStartedAfter(db, camera, Math.max(this.since, now - EVENT_WINDOW_S), 100)) {
        if (this.announced.has(e.id)) continue;
        this.announced.set(e.id, e.start_time);
        const types = this.labels.get(camera);
        if (types && !types.has(e.label)) {
          types.add(e.label);
          newLabel = true;
        }
        publish(
          `${this.prefix}/${camera}/event`,
          JSON.stringify({
            event_type: e.label,
            event_id: e.id,
            severity: e.severity ?? "alert",
            start_time: e.start_time,
          }),
          false,
        );
      }
      this.stillOf(camera, publish);
    }
    for (const [id, start] of this.announced) if (start < now - EVENT_WINDOW_S) this.announced.delete(id);
    if (newLabel) rediscover();
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
