import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import type { App } from "../src/app.ts";
import { eventById } from "../src/db/events.ts";
import { TakeoverWatch } from "../src/mqtt/takeover.ts";
import { readdirSync } from "node:fs";
import {
  keepers,
  BUN,
  ROOT,
  configIn,
  freePort,
  putSegment,
  segmentName,
  tempDir,
  until,
  logged,
} from "./helpers.ts";

/**
 * MQTT (docs/mqtt.md) against a real broker: Debian's mosquitto, started here on a free loopback
 * port (no mock of the broker).
 */
function startBroker(port: number) {
  const conf = join(tempDir(), "mosquitto.conf");
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  return Bun.spawn(["mosquitto", "-c", conf], { stderr: "pipe", stdout: "pipe" });
}

const PORT = freePort();
let broker = startBroker(PORT);
const keeper = keepers();
const clients: mqtt.MqttClient[] = [];
afterAll(async () => {
  for (const c of clients) c.end(true);
  broker.kill("SIGKILL");
});

const URL = `mqtt://127.0.0.1:${PORT}`;
async function testClient(): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(URL, {
    reconnectPeriod: 200,
    clientId: `test-${Math.random().toString(36).slice(2)}`,
  });
  clients.push(c);
  return c;
}
const yaml = (clientId = "camkeep", prefix = "camkeep") =>
  `api: { listen: 127.0.0.1:0 }\nmqtt: { host: 127.0.0.1, port: ${PORT}, client_id: ${clientId}, topic_prefix: ${prefix} }\nrecord: { alerts: { retain: { days: 10, mode: all } } }\ncameras:\n  door: {}\n  yard: {}\n`;
async function start(dir = tempDir(), clientId?: string): Promise<App> {
  const app = await keeper.start(configIn(dir, yaml(clientId)));
  await until(() => app.mqtt!.state.connected, 10_000, "camkeep to connect to the broker");
  return app;
}
const T = Math.floor(Date.now() / 1000) - 600;
const event = (id: string, over: object = {}, type = "new") =>
  JSON.stringify({
    type,
    before: {},
    after: {
      id,
      camera: "door",
      label: "person",
      start_time: T,
      end_time: null,
      has_clip: true,
      false_positive: false,
      entered_zones: ["porch"],
      ...over,
    },
  });

describe("MQTT in: the reference NVR's events (docs/mqtt.md)", () => {
  test("new/end become camkeep's event of the same id; reviews carry their severity; false positives, unknown cameras, bad and huge payloads are counted and ignored", async () => {
    const app = await start();
    const c = await testClient();
    await c.publishAsync("frigate/events", event("1790000000.1-abc"), { qos: 1 });
    await c.publishAsync("frigate/events", event("1790000000.1-abc", { end_time: T + 20 }, "end"), {
      qos: 1,
    });
    await c.publishAsync(
      "frigate/reviews",
      JSON.stringify({
        type: "new",
        after: {
          id: "review-1",
          camera: "yard",
          start_time: T,
          end_time: T + 5,
          severity: "detection",
          data: { objects: ["car"] },
        },
      }),
      { qos: 1 },
    );
    await c.publishAsync("frigate/events", event("fp-1", { false_positive: true }), { qos: 1 });
    await c.publishAsync("frigate/events", event("cam-x", { camera: "garage" }), { qos: 1 });
    await c.publishAsync("frigate/events", "{not json", { qos: 1 });
    await c.publishAsync("frigate/events", "x".repeat(100_000), { qos: 1 });
    await until(() => app.mqtt!.state.received >= 7, 5_000, "all messages to arrive");
    expect(eventById(app.db, "1790000000.1-abc")).toMatchObject({
      camera: "door",
      label: "person",
      start_time: T,
      end_time: T + 20,
      severity: null,
      zones: ["porch"],
    });
    expect(eventById(app.db, "review-1")).toMatchObject({
      camera: "yard",
      label: "car",
      severity: "detection",
    });
    expect(eventById(app.db, "fp-1")).toBeUndefined();
    expect(eventById(app.db, "cam-x")).toBeUndefined();
    expect(app.mqtt!.state.rejected).toEqual({
      false_positive: 1,
      "unknown camera": 1,
      malformed: 1,
      "too large": 1,
    });
    expect(app.mqtt!.state.connected).toBe(true); // no message ends the subscription
    const metrics = await (
      await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${app.token}` } })
    ).text();
    expect(metrics).toContain('camkeep_mqtt_rejected_total{reason="malformed"} 1');
    expect(metrics).toContain("camkeep_mqtt_connected 1");
  });

  test("an event from MQTT keeps the footage it covers (and only that)", async () => {
    const dir = tempDir();
    const now = Math.floor(Date.now() / 1000);
    const app = await keeper.start(
      configIn(
        dir,
        `api: { listen: 127.0.0.1:0 }\nmqtt: { host: 127.0.0.1, port: ${PORT}, client_id: camkeep-keep, topic_prefix: keep-test }\nrecord: { scan_interval: 1, commit_interval: 0, events: { max_latency: 0 }, alerts: { pre_capture: 0, post_capture: 0, retain: { days: 10, mode: all } } }\ncameras:\n  door: {}\n`,
      ),
    );
    await until(() => app.mqtt!.state.connected, 10_000, "camkeep to connect");
    const c = await testClient();
    await c.publishAsync("frigate/events", event("keep-1", { start_time: now - 99, end_time: now - 98 }), {
      qos: 1,
    });
    await until(() => eventById(app.db, "keep-1") !== undefined, 5_000, "the event");
    for (const start of [now - 100, now - 50])
      await putSegment(app.config.cacheDir, segmentName("door", start), 2, (start + 2) * 1000);
    await putSegment(app.config.cacheDir, segmentName("door", now - 10), 2, Date.now()); // being written
    await until(
      () => readdirSync(app.config.cacheDir).length === 1,
      15_000,
      "the keeper to decide both segments",
    );
    expect(app.db.$client.query("SELECT start_time FROM recordings").all()).toEqual([
      { start_time: now - 100 },
    ]);
  });

  test("motion ON/OFF counts as motion for the segments it overlaps", async () => {
    const app = await start(tempDir(), "camkeep-motion");
    const c = await testClient();
    await c.publishAsync("frigate/door/motion", "ON", { qos: 1 });
    await Bun.sleep(1200);
    await c.publishAsync("frigate/door/motion", "OFF", { qos: 1 });
    await until(() => app.activity.frames("door").length >= 2, 5_000, "motion frames");
    expect(app.activity.frames("door").every((f) => f.motion > 0)).toBe(true);
  });

  test("a restart of camkeep loses no event published at QoS 1 meanwhile (persistent session)", async () => {
    const dir = tempDir();
    const first = await start(dir, "camkeep-restart");
    await keeper.stop(first);
    const c = await testClient();
    await c.publishAsync("frigate/events", event("while-away"), { qos: 1 });
    const again = await start(dir, "camkeep-restart");
    await until(() => eventById(again.db, "while-away") !== undefined, 5_000, "the queued event");
  });
});

/**
 * The keys Home Assistant's MQTT integration documents for each component camkeep announces
 * (home-assistant.io/integrations/<component>.mqtt, and the device map), as of 2026: a key not
 * among them is one HA drops or refuses.
 */
const COMMON = [
  "availability",
  "availability_mode",
  "availability_topic",
  "device",
  "enabled_by_default",
  "encoding",
]
  .concat(["entity_category", "entity_picture", "icon", "json_attributes_template", "json_attributes_topic"])
  .concat(["name", "object_id", "default_entity_id", "qos", "unique_id", "platform"]);
const DOCUMENTED: Record<string, string[]> = {
  sensor: ["state_topic", "value_template", "unit_of_measurement", "device_class", "state_class"].concat([
    "suggested_display_precision",
    "expire_after",
    "force_update",
    "last_reset_value_template",
    "options",
  ]),
  binary_sensor: [
    "state_topic",
    "value_template",
    "device_class",
    "payload_on",
    "payload_off",
    "expire_after",
  ].concat(["force_update", "off_delay"]),
  image: ["image_topic", "content_type", "image_encoding", "url_topic", "url_template"],
  event: ["state_topic", "event_types", "value_template", "device_class"],
  button: ["command_topic", "payload_press", "command_template", "device_class", "retain"],
};
const DEVICE = [
  "identifiers",
  "connections",
  "name",
  "manufacturer",
  "model",
  "model_id",
  "sw_version",
].concat(["hw_version", "serial_number", "suggested_area", "configuration_url", "via_device"]);
function undocumented(topic: string, config: object): string[] {
  const component = topic.split("/")[1]!;
  const keys = Object.keys(config).filter((k) => !COMMON.includes(k) && !DOCUMENTED[component]?.includes(k));
  const device = (config as { device?: object }).device ?? {};
  return keys.concat(
    Object.keys(device)
      .filter((k) => !DEVICE.includes(k))
      .map((k) => `device.${k}`),
  );
}

describe("MQTT out: availability, state, Home Assistant discovery (docs/mqtt.md)", () => {
  test("discovery configs parse, name unique ids, and come again when Home Assistant says online; state is retained JSON", async () => {
    const app = await start(tempDir(), "camkeep-ha");
    const c = await testClient();
    const configs = new Map<
      string,
      {
        unique_id: string;
        state_topic: string;
        name: string;
        device: { identifiers: string[]; name: string; via_device?: string; sw_version?: string };
      }
    >();
    c.on("message", (topic, payload) => {
      if (topic.startsWith("homeassistant/") && topic.endsWith("/config") && topic.includes("camkeep-ha"))
        configs.set(topic, JSON.parse(payload.toString()));
    });
    await c.subscribeAsync("homeassistant/#", { qos: 1 });
    await until(() => configs.size >= 9, 5_000, "the discovery configs");
    const ids = [...configs.values()].map((x) => x.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain("camkeep-ha_health");
    // The box is a device with its own sensors; each camera a device of its own, linked to the box.
    const devices = new Map([...configs.values()].map((x) => [x.device.identifiers[0], x.device]));
    expect([...devices.keys()].sort()).toEqual([
      "camkeep_camkeep-ha",
      "camkeep_camkeep-ha_door",
      "camkeep_camkeep-ha_yard",
    ]);
    expect(devices.get("camkeep_camkeep-ha")).toMatchObject({
      name: "camkeep",
      sw_version: expect.any(String),
    });
    expect(devices.get("camkeep_camkeep-ha_door")).toMatchObject({
      name: "door",
      via_device: "camkeep_camkeep-ha",
    });
    // Entity names say what they are, not which device (HA puts the device's name before them), in one case.
    expect([...configs.values()].map((x) => x.name).filter((n) => !/^[A-Z][a-z0-9 ]+$/.test(n))).toEqual([]);
    // Every key is one Home Assistant's MQTT integration documents for its component.
    for (const [topic, x] of configs)
      expect({ topic, unknown: undocumented(topic, x) }).toEqual({ topic, unknown: [] });
    expect([...configs.values()].map((x) => x.name).filter((n) => /door|camkeep/i.test(n))).toEqual([]);
    configs.clear();
    await c.publishAsync("homeassistant/status", "online", { qos: 1 });
    await until(() => configs.size >= 9, 5_000, "discovery again after Home Assistant came online");
    const state = new Map<string, unknown>();
    const s = await testClient();
    s.on("message", (topic, payload) => state.set(topic, JSON.parse(payload.toString())));
    await s.subscribeAsync(["camkeep/door/state", "camkeep/storage/state"], { qos: 1 });
    await until(() => state.size === 2, 5_000, "the retained state");
    expect(state.get("camkeep/door/state")).toMatchObject({
      recording: false,
      last_segment_age_s: null,
      hours_kept: 0,
      bytes_per_day: null, // no footage: no rate said
      quota_days_left: null,
    });
    expect(state.get("camkeep/storage/state")).toMatchObject({
      healthy: expect.any(Boolean),
      free_bytes: expect.any(Number),
    });
    expect(app.mqtt!.state.connected).toBe(true);
  });

  test("the broker killed and started again: camkeep keeps going, says disconnected, reconnects", async () => {
    const app = await start(tempDir(), "camkeep-outage");
    broker.kill("SIGKILL");
    await broker.exited;
    await until(() => !app.mqtt!.state.connected, 5_000, "camkeep to notice");
    const status = (await (
      await fetch(`${app.url}/api/status`, { headers: { authorization: `Bearer ${app.token}` } })
    ).json()) as { mqtt: { state: string }; health: { status: string } };
    expect(status.mqtt.state).toBe("disconnected");
    expect(status.health.status).toBe("ok"); // health is about footage
    broker = startBroker(PORT);
    await until(() => app.mqtt!.state.connected, 15_000, "camkeep to reconnect");
  }, 30_000);

  test("the will says offline when camkeep is killed", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "c.yml"), `data_dir: ${dir}\n${yaml("camkeep-will", "will-test")}`);
    const keeper = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "c.yml")], {
      stderr: "pipe",
    });
    const c = await testClient();
    let available = "";
    c.on("message", (topic, payload) => topic === "will-test/available" && (available = payload.toString()));
    await c.subscribeAsync("will-test/available", { qos: 1 });
    await until(() => available === "online", 15_000, "camkeep to say online");
    keeper.kill("SIGKILL");
    await until(() => available === "offline", 15_000, "the will");
  }, 40_000);
});

describe("Home Assistant entities per camera (docs/mqtt.md)", () => {
  const yamlFor = (cameras: string[], clientId = "camkeep-ents") =>
    `api: { listen: 127.0.0.1:0 }\nmqtt: { host: 127.0.0.1, port: ${PORT}, client_id: ${clientId}, topic_prefix: haents }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0 } }\ncameras:\n${cameras.map((c) => `  ${c}: {}\n`).join("")}`;

  test("motion follows a moving scene, the still is a JPEG, events fire, the button keeps the last 10 minutes; configs as HA documents them", async () => {
    const c = await testClient();
    const seen: { topic: string; payload: Buffer; at: number }[] = [];
    c.on("message", (topic, payload) => seen.push({ topic, payload, at: Date.now() / 1000 }));
    await c.subscribeAsync(["homeassistant/+/camkeep-ents/+/config", "haents/#"], { qos: 1 });
    const app = await keeper.start(configIn(tempDir(), yamlFor(["door", "yard"])), {
      motionQuietSeconds: 15,
    });
    await until(() => app.mqtt!.state.connected, 10_000, "camkeep to connect");
    const config = (component: string, object: string) => {
      const m = seen.findLast((x) => x.topic === `homeassistant/${component}/camkeep-ents/${object}/config`);
      return m && JSON.parse(m.payload.toString());
    };
    await until(
      () => config("button", "door_keep_last_10_minutes") !== undefined,
      5000,
      "the discovery configs",
    );
    expect(config("binary_sensor", "door_motion")).toMatchObject({
      unique_id: "camkeep-ents_door_motion",
      state_topic: "haents/door/motion",
      device_class: "motion",
      availability: [{ topic: "haents/available" }],
      device: { identifiers: ["camkeep_camkeep-ents_door"], via_device: "camkeep_camkeep-ents" },
    });
    expect(config("sensor", "storage_free")).toMatchObject({
      unit_of_measurement: "GB",
      device_class: "data_size",
      value_template: "{{ (value_json.free_bytes / 1e9) | round(2) }}",
      entity_category: "diagnostic",
    });
    expect(config("sensor", "door_hours_kept")).toMatchObject({
      unit_of_measurement: "h",
      device_class: "duration",
    });
    expect(config("sensor", "door_stored_per_day")).toMatchObject({
      name: "Stored per day",
      unit_of_measurement: "GB/d",
      state_topic: "haents/door/state",
    });
    expect(config("sensor", "door_quota_days_left")).toBeUndefined(); // no quota: no sensor
    expect(config("image", "door_still")).toMatchObject({
      image_topic: "haents/door/still",
      content_type: "image/jpeg",
    });
    expect(config("event", "door_event")).toMatchObject({ state_topic: "haents/door/event" });
    expect(config("event", "door_event").event_types).toEqual(["animal", "car", "kept", "motion", "person"]);
    expect(config("button", "door_keep_last_10_minutes")).toMatchObject({
      command_topic: "haents/door/keep_last_10_minutes",
      payload_press: "PRESS",
    });
    const last = (topic: string) => seen.findLast((x) => x.topic === topic)?.payload.toString();
    await until(() => last("haents/door/motion") === "OFF", 10_000, "motion off while nothing moved");
    // A moving scene: camkeep's own motion judgement of a stored segment turns motion on, a quiet spell off.
    const t = Math.floor(Date.now() / 1000) - 3;
    await putSegment(app.config.cacheDir, segmentName("door", t), 2, (t + 2) * 1000);
    await until(() => last("haents/door/motion") === "ON", 20_000, "motion on");
    // The scene keeps moving, its footage judged a while after it happened (as camkeep judges it,
    // ~a minute late with the defaults): motion stays on, with no "off" between judgements.
    const motionChanges = () => seen.filter((x) => x.topic === "haents/door/motion").length;
    const changes = motionChanges();
    const judged = (from: number, to: number, motion: number) => {
      const frames = [];
      for (let f = from; f < to; f += 0.5) frames.push({ t: f, motion, objects: 0 });
      app.activity.addAnalysed("door", frames);
    };
    for (let k = 1; k <= 5; k++) {
      await Bun.sleep(4_000); // judged 4 s a time, its footage 12 s behind by then
      judged(t + 2 + (k - 1) * 4, t + 2 + k * 4, 50);
    }
    expect(motionChanges()).toBe(changes);
    expect(last("haents/door/motion")).toBe("ON");
    // Then it goes still: "off" once camkeep has judged the quiet spell (15 s here, a minute normally) of it.
    const stillFrom = t + 22;
    judged(stillFrom, stillFrom + 10, 0);
    await Bun.sleep(6_000);
    expect(last("haents/door/motion")).toBe("ON"); // 10 s judged still: not yet
    judged(stillFrom + 10, stillFrom + 16, 0);
    await until(
      () => last("haents/door/motion") === "OFF",
      10_000,
      "motion off after the quiet spell judged",
    );
    expect(motionChanges()).toBe(changes + 1);
    // The still: the stored segment's picture, a JPEG that decodes.
    await until(() => seen.some((x) => x.topic === "haents/door/still"), 15_000, "the still");
    const jpeg = join(tempDir(), "still.jpg");
    writeFileSync(jpeg, seen.find((x) => x.topic === "haents/door/still")!.payload);
    const probe = Bun.spawn(
      ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,height", "-of", "csv=p=0", jpeg],
      {
        stdout: "pipe",
      },
    );
    expect((await new Response(probe.stdout).text()).trim()).toBe("mjpeg,360");
    // A second segment within the minute: no second still.
    await putSegment(app.config.cacheDir, segmentName("door", t + 2), 2, (t + 4) * 1000);
    await Bun.sleep(6000);
    expect(seen.filter((x) => x.topic === "haents/door/still").length).toBe(1);
    // An event: announced once, with its type, severity and id; a new label widens the event types.
    await c.publishAsync(
      "frigate/events",
      event("bike-1", { label: "bicycle", start_time: Date.now() / 1000 }),
      { qos: 1 },
    );
    await until(() => seen.some((x) => x.topic === "haents/door/event"), 10_000, "the event");
    expect(JSON.parse(last("haents/door/event")!)).toMatchObject({
      event_type: "bicycle",
      event_id: "bike-1",
      severity: "alert",
    });
    await until(
      () => config("event", "door_event").event_types.includes("bicycle"),
      10_000,
      "the new label offered",
    );
    // Its type reached Home Assistant before it: HA refuses an event of a type it was not given.
    const typeAt = seen.findIndex(
      (x) =>
        x.topic.endsWith("/door_event/config") &&
        JSON.parse(x.payload.toString()).event_types.includes("bicycle"),
    );
    expect(typeAt).toBeLessThan(seen.findIndex((x) => x.topic === "haents/door/event"));
    await Bun.sleep(5500);
    expect(seen.filter((x) => x.topic === "haents/door/event").length).toBe(1);
    // The button: the last 10 minutes kept forever.
    await c.publishAsync("haents/door/keep_last_10_minutes", "PRESS", { qos: 1 });
    await until(
      () =>
        (app.db.$client.query("SELECT count(*) AS n FROM events WHERE label = 'kept'").get() as { n: number })
          .n === 1,
      5000,
      "the kept event",
    );
    const kept = app.db.$client.query("SELECT * FROM events WHERE label = 'kept'").get() as {
      camera: string;
      start_time: number;
      end_time: number;
      retain_indefinitely: number;
    };
    expect(kept).toMatchObject({ camera: "door", retain_indefinitely: 1 });
    expect(kept.end_time - kept.start_time).toBe(600);
    expect(Math.abs(kept.end_time - Date.now() / 1000)).toBeLessThan(10);
    // …and announced, though it started ten minutes back: events are news when added.
    await until(
      () =>
        seen.some(
          (x) => x.topic === "haents/door/event" && JSON.parse(x.payload.toString()).event_type === "kept",
        ),
      10_000,
      "the kept event announced",
    );
    // A clean stop is no disconnection to warn of.
    const said = await logged(() => keeper.stop(app));
    expect(said).not.toContain("disconnected");
  }, 90_000);

  test("a camera removed from the configuration has its entities removed; unique ids stay the same across restarts", async () => {
    const dir = tempDir();
    const c = await testClient();
    const seen: { topic: string; payload: string }[] = [];
    c.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    // Its own client id: a keeper of another test with the same one would throw it off the broker.
    await c.subscribeAsync("homeassistant/+/camkeep-gone/+/config", { qos: 1 });
    const first = await keeper.start(configIn(dir, yamlFor(["door", "yard"], "camkeep-gone")));
    await until(
      () => seen.some((x) => x.topic.includes("/yard_keep_last_10_minutes/")),
      5000,
      "yard's entities",
    );
    const ids = (camera: string) =>
      new Set(
        seen
          .filter((x) => x.topic.includes(`/${camera}_`) && x.payload)
          .map((x) => JSON.parse(x.payload).unique_id),
      );
    const doorIds = ids("door");
    await keeper.stop(first);
    seen.length = 0;
    const second = await keeper.start(configIn(dir, yamlFor(["door"], "camkeep-gone")));
    await until(
      () => seen.filter((x) => x.topic.includes("/yard_") && x.payload === "").length >= 7,
      5000,
      "yard's entities removed",
    );
    expect(seen.filter((x) => x.topic.includes("/yard_") && x.payload !== "")).toEqual([]);
    expect(ids("door")).toEqual(doorIds);
    await keeper.stop(second);
  }, 30_000);
});

describe("two boxes on one broker (docs/mqtt.md#two-boxes-one-broker)", () => {
  const box = (dir: string, ids = "") =>
    keeper.start(
      configIn(
        dir,
        `api: { listen: 127.0.0.1:0 }\nmqtt: { host: 127.0.0.1, port: ${PORT}${ids} }\ncameras:\n  door: {}\n`,
      ),
    );
  const connectedFor = async (apps: App[], ms: number) => {
    let drops = 0;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      drops += apps.filter((a) => !a.mqtt!.state.connected).length;
      await Bun.sleep(100);
    }
    return drops;
  };

  test("a new install's defaults are its own: two boxes stay connected side by side, with their own entities, and keep their ids across restarts", async () => {
    const [dirA, dirB] = [tempDir(), tempDir()];
    let a = await box(dirA);
    const b = await box(dirB);
    await until(() => a.mqtt!.state.connected && b.mqtt!.state.connected, 10_000, "both boxes to connect");
    const [idA, idB] = [a.mqtt!.identity, b.mqtt!.identity];
    expect(idA.clientId).toMatch(/^camkeep-[0-9a-f]{6}$/);
    expect(idA.clientId).not.toBe(idB.clientId);
    expect(idA.topicPrefix).not.toBe(idB.topicPrefix);
    expect(idA.chosen).toBe("this box");
    expect(await connectedFor([a, b], 3_000)).toBe(0); // nobody thrown off
    // Their entities do not overwrite each other: each box's discovery topics name its own node.
    const seen = new Map<string, string>();
    const c = await testClient();
    c.on("message", (topic, payload) => {
      if (payload.length) seen.set(topic, JSON.parse(payload.toString()).unique_id);
    });
    await c.subscribeAsync("homeassistant/#");
    await until(
      () => seen.size > 0 && [...seen.keys()].some((t) => t.includes(idB.clientId)),
      5_000,
      "discovery of both",
    );
    const uniqueIds = [...seen.values()];
    expect(new Set(uniqueIds).size).toBe(uniqueIds.length);
    expect(uniqueIds.some((u) => u.startsWith(`${idA.clientId}_`))).toBe(true);
    expect(uniqueIds.some((u) => u.startsWith(`${idB.clientId}_`))).toBe(true);
    // A restart keeps the box's own ids (its entities must not change).
    await keeper.stop(a);
    a = await box(dirA);
    expect(a.mqtt!.identity).toEqual(idA);
    const status = await (
      await fetch(`${a.url}/api/status`, { headers: { authorization: `Bearer ${a.token}` } })
    ).json();
    expect(status.mqtt).toMatchObject({
      client_id: idA.clientId,
      topic_prefix: idA.topicPrefix,
      problem: null,
    });
  }, 60_000);

  test("an install that announced before keeps the names it announced with", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "mqtt-discovery.json"),
      JSON.stringify(["homeassistant/binary_sensor/camkeep/camkeep_door_motion/config"]),
    );
    const app = await box(dir);
    expect(app.mqtt!.identity).toEqual({
      clientId: "camkeep",
      topicPrefix: "camkeep",
      chosen: "kept from before",
    });
  });

  test("two boxes configured with the same client id are told so, plainly, in their logs and status", async () => {
    const a = await box(tempDir(), ", client_id: garage, topic_prefix: garage");
    await until(() => a.mqtt!.state.connected, 10_000, "the first box to connect");
    const b = await box(tempDir(), ", client_id: garage, topic_prefix: house");
    await until(
      () => a.mqtt!.state.problem !== null || b.mqtt!.state.problem !== null,
      30_000,
      "the clash to be noticed",
    );
    const problem = (a.mqtt!.state.problem ?? b.mqtt!.state.problem)!;
    expect(problem).toContain('another client uses the client id "garage"');
    expect(problem).toContain("mqtt.client_id");
  }, 60_000);
});

describe("a client id taken over (pure)", () => {
  test("three connections ended within seconds of being made, in two minutes, are another client with the id; a lasting one clears it", () => {
    const w = new TakeoverWatch("garage");
    w.closed(2, 100);
    w.closed(1, 102);
    expect(w.problem).toBeNull();
    w.closed(30, 103); // a connection that lasted: not a takeover
    expect(w.problem).toBeNull();
    w.closed(1, 104);
    expect(w.problem).toContain('"garage"');
    w.lasted(30);
    expect(w.problem).not.toBeNull();
    w.lasted(60);
    expect(w.problem).toBeNull();
    // Spread over more than two minutes: a broker restarting now and then, not a clash.
    w.closed(1, 1000);
    w.closed(1, 1100);
    w.closed(1, 1200);
    expect(w.problem).toBeNull();
  });
});
