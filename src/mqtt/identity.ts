import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/load.ts";

// Who this box is on the broker: its client id and topic prefix (docs/mqtt.md#two-boxes-one-broker).

type MqttConfig = NonNullable<Config["mqtt"]>;

export interface MqttIdentity {
  clientId: string;
  topicPrefix: string;
  /** configured: both in the config; this box: chosen at its first start; kept: an install that announced as "camkeep" before. */
  chosen: "configured" | "this box" | "kept from before";
}

/** The names camkeep used before boxes had their own: an install that announced with them keeps them. */
const LEGACY = "camkeep";

/**
 * The client id and topic prefix, as configured or else this box's own: two boxes on one broker
 * with the same client id throw each other off every second, and with the same prefix overwrite
 * each other's Home Assistant entities. The choice is made once and kept in
 * `<data_dir>/mqtt-identity.json`, so entities never change. An install that already announced
 * entities (it has `mqtt-discovery.json`) keeps "camkeep": its entities and automations stay.
 */
export function mqttIdentity(mqtt: MqttConfig, dataDir: string): MqttIdentity {
  if (mqtt.client_id && mqtt.topic_prefix)
    return { clientId: mqtt.client_id, topicPrefix: mqtt.topic_prefix, chosen: "configured" };
  const file = join(dataDir, "mqtt-identity.json");
  let own = readIdentity(file);
  let chosen: MqttIdentity["chosen"] = "this box";
  if (!own) {
    const before = existsSync(join(dataDir, "mqtt-discovery.json"));
    const name = before ? LEGACY : `camkeep-${randomBytes(3).toString("hex")}`;
    own = { client_id: name, topic_prefix: name };
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(own)}\n`);
    renameSync(tmp, file);
  }
  if (own.client_id === LEGACY) chosen = "kept from before";
  return {
    clientId: mqtt.client_id ?? own.client_id,
    topicPrefix: mqtt.topic_prefix ?? own.topic_prefix,
    chosen,
  };
}

function readIdentity(file: string): { client_id: string; topic_prefix: string } | undefined {
  try {
    const v = JSON.parse(readFileSync(file, "utf8"));
    if (typeof v?.client_id === "string" && typeof v?.topic_prefix === "string") return v;
  } catch {
    // absent or unreadable: chosen (again) below
  }
  return undefined;
}
