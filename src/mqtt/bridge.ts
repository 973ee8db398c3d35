import type { MqttStatus } from "../api/deps.ts";
import { preferred } from "../domain/forecast.ts";
import { readSecretFile } from "../config/secret-file.ts";
import mqtt, { type MqttClient } from "mqtt";
import type { Config } from "../config/load.ts";
import { eventById, insertEvent, updateEvent } from "../db/events.ts";
import type { Db } from "../db/open.ts";
import { lastRecordingStart } from "../db/recordings.ts";
import type { ArchiveTotals } from "../db/totals.ts";
import type { HealthMonitor } from "../health/monitor.ts";
import type { Forecast } from "../health/forecast.ts";
import { logger } from "../log/log.ts";
import type { ActivityStore } from "../keeper/activity.ts";
import type { FootageLocator } from "../tiers/footage.ts";
import { HomeAssistantEntities } from "./home-assistant.ts";
import { type MqttIdentity, mqttIdentity } from "./identity.ts";
import { TakeoverWatch } from "./takeover.ts";
import { MAX_PAYLOAD, parseMessage } from "./messages.ts";

// camkeep on MQTT: the reference NVR's events in, state and Home Assistant discovery out.

const log = logger("mqtt");

/** Retained state is published when it changed, at most this often per topic. */
export const STATE_EVERY_MS = 30_000;
const CHECK_MS = 5_000;
const BACKOFF_MAX_MS = 60_000;

export interface MqttDeps {
  config: Config;
  db: Db;
  activity: ActivityStore;
  totals: ArchiveTotals;
  health: HealthMonitor;
  /** Whether a camera records now (its recorder runs, or its footage is fresh). */
  recording: (camera: string) => boolean;
  /** Where stored footage is read from (the cameras' stills). */
  footage: FootageLocator;
  /** Whether storing new footage has stopped (only footage kept forever left on a full disk). */
  storingHalted?: () => boolean;
  /** Days left (docs/storage.md#days-left): the storage's forecast, as a sensor. */
  forecast: { get(): Forecast };
  /** Seconds motion stays on after its last frame (tests shorten the quiet minute). */
  motionQuietSeconds?: number;
}

/** What status and metrics say of MQTT. */
/**
 * camkeep on MQTT (docs/mqtt.md). In: the reference NVR's events and review items become camkeep's
 * events of the same id, its per-camera motion ON/OFF counts as motion. Out: availability
 * (retained, with a will), retained state per camera and for storage, and Home Assistant
 * discovery. A persistent session with QoS 1 loses no event published while camkeep was
 * down. A broker that is down or goes away stops nothing else: camkeep retries with backoff.
 */
export class MqttBridge {
  readonly state: MqttStatus;
  private client?: MqttClient;
  private timer?: Timer;
  private readonly takeovers: TakeoverWatch;
  /** Set by stop(): the client then never connects again, and nothing more is published. */
  private stopped = false;
  private lastState = new Map<string, { json: string; at: number }>();
  private readonly motionOn = new Map<string, number>();
  private readonly prefix: string;
  /** Its client id and topic prefix: configured, or this box's own. */
  readonly identity: MqttIdentity;
  private readonly ha?: HomeAssistantEntities;

  constructor(private readonly deps: MqttDeps) {
    this.identity = mqttIdentity(deps.config.mqtt!, deps.config.dataDir);
    this.prefix = this.identity.topicPrefix;
    this.state = {
      connected: false,
      since: Date.now() / 1000,
      received: 0,
      rejected: {},
      clientId: this.identity.clientId,
      topicPrefix: this.prefix,
      problem: null,
    };
    this.takeovers = new TakeoverWatch(this.identity.clientId);
    if (deps.config.mqtt!.homeassistant.discovery_prefix)
      this.ha = new HomeAssistantEntities(deps, this.prefix, this.identity.clientId, deps.motionQuietSeconds);
  }

  start(): void {
    if (this.stopped || this.client) return;
    const m = this.deps.config.mqtt!;
    const password = m.password_file ? readSecretFile(m.password_file, log) : m.password;
    const client = mqtt.connect({
      host: m.host,
      port: m.port,
      username: m.user,
      password,
      clientId: this.identity.clientId,
      clean: false, // a persistent session: QoS 1 messages wait at the broker while camkeep is away
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: `${this.prefix}/available`, payload: Buffer.from("offline"), qos: 1, retain: true },
    });
    this.client = client;
    client.on("connect", () => {
      // A connection that was under way when stop() came: leave at once, say nothing.
      if (this.stopped) return void client.end(true);
      this.state.connected = true;
      this.state.since = Date.now() / 1000;
      client.options.reconnectPeriod = 1000;
      log.info(`connected to ${m.host}:${m.port}`);
      client.publish(`${this.prefix}/available`, "online", { qos: 1, retain: true });
      const fp = m.frigate.topic_prefix;
      const topics = [
        ...(fp ? [`${fp}/events`, `${fp}/reviews`, `${fp}/+/motion`] : []),
        ...(this.ha ? ["homeassistant/status", ...this.ha.commandTopics()] : []),
      ];
      if (topics.length) client.subscribe(topics, { qos: 1 });
      this.discovery();
      this.lastState.clear();
      this.publishState();
    });
    client.on("close", () => {
      if (this.state.connected && !this.stopped) {
        log.warn(`disconnected from ${m.host}:${m.port}; retrying`);
        const now = Date.now() / 1000;
        this.takeovers.closed(now - this.state.since, now);
        this.noteProblem();
      }
      if (this.state.connected) this.state.since = Date.now() / 1000;
      this.state.connected = false;
    });
    client.on("reconnect", () => {
      // Back off: 1 s, 2 s, 4 s … up to a minute while the broker stays away.
      client.options.reconnectPeriod = Math.min(BACKOFF_MAX_MS, (client.options.reconnectPeriod ?? 1000) * 2);
    });
    client.on("error", (e) => log.debug(`broker: ${e.message}`)); // said once as "disconnected" above; never the password
    client.on("message", (topic, payload) => this.receive(topic, payload));
    this.timer = setInterval(() => {
      if (this.state.connected) this.takeovers.lasted(Date.now() / 1000 - this.state.since);
      this.noteProblem();
      this.publishState();
      this.extendMotion();
      this.entities();
    }, CHECK_MS);
  }

  /**
   * Says "offline" and leaves (a clean stop; the will covers the rest). Nothing reconnects
   * afterwards: a client left reconnecting with the same client id would throw the next keeper
   * off the broker every second.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const client = this.client;
    if (!client) return;
    client.options.reconnectPeriod = 0; // the client schedules no reconnect from now on
    let acked = false;
    if (client.connected) {
      let patience: Timer | undefined;
      acked = await Promise.race([
        client
          .publishAsync(`${this.prefix}/available`, "offline", { qos: 1, retain: true })
          .then(() => true)
          .catch(() => false),
        new Promise<false>((r) => (patience = setTimeout(() => r(false), 2_000))),
      ]);
      clearTimeout(patience);
    }
    // Unacknowledged: a clean end would wait for the broker forever; the will says "offline".
    await client.endAsync(!acked).catch(() => {});
    this.state.connected = false;
  }

  /** Said once when it appears; shown in status while it lasts. */
  private noteProblem(): void {
    const problem = this.takeovers.problem;
    if (problem && !this.state.problem) log.error(problem);
    this.state.problem = problem;
  }

  private reject(reason: string, topic: string): void {
    const n = (this.state.rejected[reason] = (this.state.rejected[reason] ?? 0) + 1);
    if (n === 1) log.warn(`ignored a message on ${topic}: ${reason} (counted from now on)`);
  }

  private receive(topic: string, payload: Buffer): void {
    this.state.received++;
    const m = this.deps.config.mqtt!;
    if (payload.length > MAX_PAYLOAD) return void this.reject("too large", topic);
    if (topic === "homeassistant/status") {
      if (payload.toString() === "online") this.discovery();
      return;
    }
    if (this.ha?.command(topic, payload.toString().trim())) return;
    const fp = m.frigate.topic_prefix;
    if (!fp) return;
    if (topic === `${fp}/events` || topic === `${fp}/reviews`)
      return void this.event(topic, payload, topic === `${fp}/reviews`);
    const motion = new RegExp(`^${fp}/([a-zA-Z0-9_-]+)/motion$`).exec(topic);
    if (motion) this.motion(motion[1]!, payload.toString().trim(), topic);
  }

  private event(topic: string, payload: Buffer, review: boolean): void {
    const parsed = parseMessage(payload, review);
    if (!parsed.ok) return void this.reject(parsed.reason, topic);
    const e = parsed.event;
    if (!this.deps.config.cameras[e.camera]) return void this.reject("unknown camera", topic);
    const known = eventById(this.deps.db, e.id);
    if (known && known.camera !== e.camera) return void this.reject("id of another camera's event", topic);
    if (known) {
      updateEvent(this.deps.db, e.id, {
        end_time: e.end_time,
        label: e.label,
        has_clip: e.has_clip || known.has_clip,
        severity: e.severity ?? known.severity,
        zones: [...new Set([...known.zones, ...e.zones])],
      });
    } else {
      insertEvent(this.deps.db, { ...e, retain_indefinitely: false });
    }
  }

  /** ON/OFF spans count as motion: a frame a second while the camera says ON. */
  private motion(camera: string, payload: string, topic: string): void {
    if (!this.deps.config.cameras[camera]) return void this.reject("unknown camera", topic);
    const now = Date.now() / 1000;
    if (payload === "ON") {
      if (!this.motionOn.has(camera)) this.motionOn.set(camera, now);
    } else if (payload === "OFF") {
      const since = this.motionOn.get(camera);
      this.motionOn.delete(camera);
      if (since !== undefined) this.addMotion(camera, since, now);
    } else this.reject("motion payload not ON or OFF", topic);
  }

  private extendMotion(): void {
    const now = Date.now() / 1000;
    for (const [camera, since] of this.motionOn) {
      this.addMotion(camera, since, now);
      this.motionOn.set(camera, now);
    }
  }

  private addMotion(camera: string, from: number, to: number): void {
    const frames = [];
    for (let t = from; t <= to; t += 1) frames.push({ t, motion: 1, objects: 0 });
    this.deps.activity.addAnalysed(camera, frames);
  }

  /** Home Assistant's per-camera entities: motion, stills, events (checked every 5 s). */
  private entities(): void {
    const client = this.client;
    if (!this.ha || !client?.connected) return;
    this.ha.tick(
      (topic, payload, retain) => client.publish(topic, payload, { qos: 1, retain }),
      () => this.discovery(),
    );
  }

  /** Retained JSON per camera and for storage, when it changed (checked every 5 s), at most every 30 s a topic (at once after connecting). */
  private publishState(): void {
    const client = this.client;
    if (!client?.connected) return;
    const now = Date.now();
    const publish = (topic: string, value: object) => {
      const json = JSON.stringify(value);
      const last = this.lastState.get(topic);
      if (last && (last.json === json || now - last.at < STATE_EVERY_MS)) return;
      this.lastState.set(topic, { json, at: now });
      client.publish(topic, json, { qos: 1, retain: true });
    };
    const { totals, health, db, config } = this.deps;
    const forecast = this.deps.forecast.get();
    for (const camera of Object.keys(config.cameras)) {
      const last = lastRecordingStart(db, camera);
      const f = forecast.cameras[camera];
      publish(`${this.prefix}/${camera}/state`, {
        recording: this.deps.recording(camera),
        last_segment_age_s: last === undefined ? null : Math.round(now / 1000 - last),
        hours_kept: Math.round((totals.camera(camera).seconds / 3600) * 100) / 100,
        bytes_per_day: f ? preferred(f.last_day, f.last_week) : null,
        quota_days_left: f?.quota_days_left ?? null,
      });
    }
    const snapshot = health.snapshot();
    publish(`${this.prefix}/storage/state`, {
      free_bytes: snapshot.space.free,
      kept_bytes: totals.bytes,
      healthy: snapshot.reasons.length === 0,
      storing_halted: this.deps.storingHalted?.() ?? false,
      days_held: forecast.storage.days_held.last_week,
    });
  }

  /** Home Assistant discovery (docs/mqtt.md): every entity's config, and removed cameras' entities cleared. */
  private discovery(): void {
    const client = this.client;
    if (!this.ha || !client?.connected) return;
    const configs = this.ha.configs();
    for (const [topic, config] of configs)
      client.publish(topic, JSON.stringify(config), { qos: 1, retain: true });
    for (const topic of this.ha.stale(configs.map(([t]) => t)))
      client.publish(topic, "", { qos: 1, retain: true });
  }
}
