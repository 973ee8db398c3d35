import type { CameraConfig, OnvifConfig } from "../config/types.ts";
import type { Db } from "../db/open.ts";
import { insertEvent, updateEvent } from "../db/events.ts";
import { newId } from "../domain/id.ts";
import type { ActivityStore } from "../keeper/activity.ts";
import { logger } from "../log/log.ts";
import { OnvifClient } from "./client.ts";
import { expire, type DetectionAct, forget, hear, newDetections, tick } from "./detections.ts";
import { OnvifError } from "./soap.ts";
import { onvifPassword } from "./stream.ts";
import { PullPoint } from "./subscription.ts";
import { sleep } from "../time/sleep.ts";
import { MEANINGS, type Meaning, readNotifications } from "./topics.ts";

// Listening to each camera's own events (docs/onvif.md): one subscription loop per camera.

const log = logger("onvif");

/** How a loop talks to cameras; tests shorten the waits. */
export interface WatchTimings {
  /** Seconds a PullMessages waits for messages. */
  pullSeconds: number;
  /** Seconds a subscription (and each renewal) is asked to last. */
  subscriptionSeconds: number;
  /** Longest wait between failed attempts, seconds (from 1 s, doubling). */
  maxBackoffSeconds: number;
  /** An ordinary call's time limit, seconds. */
  callSeconds: number;
}
export const DEFAULT_TIMINGS: WatchTimings = {
  pullSeconds: 60,
  subscriptionSeconds: 600,
  maxBackoffSeconds: 60,
  callSeconds: 10,
};

/** A storm: pulls that come back full come at most this often. */
const MIN_FULL_PULL_MS = 250;
const MESSAGE_LIMIT = 100;

export interface OnvifStatus {
  /** live: subscribed and heard; connecting; down: could not, `reason` says why. */
  state: "connecting" | "live" | "down";
  since: number;
  reason: string | null;
  last_message_at: number | null;
  /** The camera's clock minus camkeep's, seconds (null before the first answer). */
  clock_offset_s: number | null;
  messages: number;
  /** Messages of topics with no meaning for camkeep. */
  ignored: number;
  errors: number;
  /** Things heard, by meaning (states turned on, pulses). */
  heard: Record<Meaning, number>;
}

/** One camera's loop: connect, subscribe, pull; on any failure, its status says why, and it tries again. */
class CameraWatch {
  readonly status: OnvifStatus;
  private readonly stop = new AbortController();
  private readonly detections = newDetections();
  private sub?: PullPoint;
  private timer?: ReturnType<typeof setInterval>;
  private done?: Promise<void>;
  private readonly said = new Set<string>();
  private password?: string;

  constructor(
    private readonly camera: CameraConfig & { onvif: OnvifConfig },
    private readonly deps: { db: Db; activity: ActivityStore },
    private readonly timings: WatchTimings,
  ) {
    this.status = {
      state: "connecting",
      since: Date.now() / 1000,
      reason: null,
      last_message_at: null,
      clock_offset_s: null,
      messages: 0,
      ignored: 0,
      errors: 0,
      heard: Object.fromEntries(MEANINGS.map((m) => [m, 0])) as Record<Meaning, number>,
    };
  }

  start(): void {
    if (this.stop.signal.aborted) return; // nothing starts after end()
    this.done = this.loop();
    // Each second heard is a frame: "nothing" is an answer while the subscription lives.
    this.timer = setInterval(() => this.second(), 1000);
  }

  async end(): Promise<void> {
    clearInterval(this.timer);
    this.stop.abort();
    await this.done;
    this.apply(forget(this.detections, Date.now() / 1000));
    // Unsubscribe only now: some cameras drop every subscription on it.
    await this.sub?.unsubscribe().catch(() => {});
  }

  private set(state: OnvifStatus["state"], reason: string | null = null): void {
    if (this.status.state !== state) this.status.since = Date.now() / 1000;
    this.status.state = state;
    this.status.reason = reason;
  }

  private async loop(): Promise<void> {
    const { signal } = this.stop;
    let backoff = 1;
    while (!signal.aborted) {
      try {
        await this.listen(signal, () => (backoff = 1));
      } catch (e) {
        if (signal.aborted) break;
        const err = e instanceof OnvifError ? e : new OnvifError((e as Error).message, "network");
        this.lost(err);
        if (err.kind === "unknown_subscription") backoff = 1; // it forgot us (a reboot): subscribe again now
        await sleep(backoff * 1000 * (0.8 + Math.random() * 0.4), signal);
        backoff = Math.min(this.timings.maxBackoffSeconds, backoff * 2);
      }
    }
  }

  private async listen(signal: AbortSignal, heardOk: () => void): Promise<void> {
    const o = this.camera.onvif;
    this.password ??= onvifPassword(o);
    const password = this.password;
    const client = new OnvifClient({
      host: o.host,
      port: o.port,
      user: o.user,
      password,
      callTimeoutMs: this.timings.callSeconds * 1000,
    });
    this.set("connecting", this.status.reason);
    await client.connect(signal);
    this.status.clock_offset_s = Math.round(client.offsetMs / 100) / 10;
    const t = this.timings;
    const sub = await PullPoint.create(client, t.subscriptionSeconds, signal);
    this.sub = sub;
    await sub.synchronize(signal).catch(() => {}); // optional in the standard; the first pull has every state anyway
    this.set("live");
    if (this.said.delete("down")) log.info(`${this.camera.name}: the camera's events are heard again`);
    heardOk();
    while (!signal.aborted) {
      if (sub.renewDue(t.pullSeconds)) await sub.renew(t.subscriptionSeconds, signal);
      const started = Date.now();
      const messages = await sub.pull(t.pullSeconds, MESSAGE_LIMIT, signal);
      this.receive(messages, client);
      const took = Date.now() - started;
      if (messages.length >= MESSAGE_LIMIT && took < MIN_FULL_PULL_MS)
        await sleep(MIN_FULL_PULL_MS - took, signal);
    }
  }

  private receive(messages: unknown[], client: OnvifClient): void {
    if (!messages.length) return;
    const now = Date.now() / 1000;
    this.status.messages += messages.length;
    this.status.last_message_at = now;
    const { heard, ignored } = readNotifications(messages);
    this.status.ignored += ignored;
    for (const h of heard) {
      // The camera's time on our clock; a time it cannot mean (1970, the future) is the arrival's.
      const local = h.cameraTime === undefined ? now : client.toLocal(h.cameraTime * 1000) / 1000;
      const at = local > now + 5 || local < now - 3600 ? now : local;
      const acts = hear(this.detections, h, at, now, () => `${newId(Math.floor(at))}-onvif`);
      if (h.value && acts.some((a) => a.kind === "open" || a.kind === "frames"))
        this.status.heard[h.meaning]++;
      this.apply(acts);
    }
  }

  private second(): void {
    if (this.status.state !== "live") return;
    const now = Date.now() / 1000;
    this.apply(expire(this.detections, now, this.camera.record.max_event_length));
    this.deps.activity.hear(this.camera.name, [tick(this.detections, now)]);
  }

  private lost(err: OnvifError): void {
    this.status.errors++;
    this.sub = undefined;
    this.apply(forget(this.detections, Date.now() / 1000));
    this.set("down", err.message);
    if (!this.said.has("down") || !this.said.has(err.kind)) {
      log.warn(
        `${this.camera.name}: the camera's events cannot be heard (${err.message}); its segments are unjudged until they are`,
      );
      this.said.add("down");
      this.said.add(err.kind);
    }
  }

  private apply(acts: DetectionAct[]): void {
    const { db, activity } = this.deps;
    const camera = this.camera.name;
    for (const a of acts) {
      if (a.kind === "frames") activity.hear(camera, a.frames);
      else if (a.kind === "open")
        insertEvent(db, {
          id: a.id,
          camera,
          label: a.label,
          start_time: a.start,
          end_time: null,
          has_clip: true,
          retain_indefinitely: false,
          severity: a.severity,
          zones: [],
        });
      else updateEvent(db, a.id, { end_time: a.end });
    }
  }
}

/** Every camera's ONVIF events (those with `onvif.events`), for status, metrics and the page. */
export class OnvifWatch {
  private readonly watches = new Map<string, CameraWatch>();

  constructor(
    cameras: readonly CameraConfig[],
    deps: { db: Db; activity: ActivityStore },
    timings: WatchTimings = DEFAULT_TIMINGS,
  ) {
    for (const c of cameras)
      if (c.onvif?.events)
        this.watches.set(c.name, new CameraWatch(c as CameraConfig & { onvif: OnvifConfig }, deps, timings));
  }

  start(): void {
    for (const w of this.watches.values()) w.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watches.values()].map((w) => w.end()));
  }

  status(camera: string): OnvifStatus | undefined {
    return this.watches.get(camera)?.status;
  }

  /** Every watched camera's status, by name. */
  all(): [string, OnvifStatus][] {
    return [...this.watches].map(([name, w]) => [name, w.status]);
  }
}
