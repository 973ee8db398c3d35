import { type Xml, text } from "./soap.ts";

// What an ONVIF notification means for camkeep: topics and their items → motion, person, car… Pure.

export type Meaning = "motion" | "person" | "car" | "animal" | "intrusion" | "line_crossing";
export const MEANINGS: readonly Meaning[] = [
  "motion",
  "person",
  "car",
  "animal",
  "intrusion",
  "line_crossing",
];

/** One thing a camera said: a meaning's state (or a pulse), from one of its sources, at a time. */
export interface Heard {
  meaning: Meaning;
  /** Which rule or video source said it (two rules' states are kept apart). */
  source: string;
  /** On or off; a pulse (a line crossed) is `true` with `pulse`. */
  value: boolean;
  pulse: boolean;
  /** Epoch seconds on the camera's clock, or undefined when it gave none worth believing. */
  cameraTime?: number;
  /** The first answer's "Initialized" state of every topic, not a change. */
  initial: boolean;
}

/** `tns1:RuleEngine/tnsaxis:X/Motion//.` → `RuleEngine/X/Motion`: prefixes and trailing marks gone. */
export function normaliseTopic(topic: string): string {
  return topic
    .trim()
    .replace(/\/\/\.$|\/+$/g, "")
    .split("/")
    .map((part) => part.replace(/^[\w.-]+:/, ""))
    .join("/");
}

/** true/false, 1/0 (and on/off, active/inactive); undefined for anything else. */
export function onvifBoolean(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === "true" || v === "1" || v === "on" || v === "active") return true;
  if (v === "false" || v === "0" || v === "off" || v === "inactive") return false;
  return undefined;
}

/** A topic's rules: which data item holds the state, and what it means; `pulse` for events without a state. */
interface Rule {
  topic: RegExp;
  item: RegExp;
  meaning: Meaning | ((items: Record<string, string>) => Meaning | undefined);
  pulse?: boolean;
}

/** Axis object analytics names the class it saw in the scenario's data. */
const objectClass = (items: Record<string, string>): Meaning | undefined => {
  const c = Object.entries(items)
    .filter(([k]) => /class|type|object/i.test(k))
    .map(([, v]) => v.toLowerCase())
    .join(" ");
  if (/human|person|people/.test(c)) return "person";
  if (/car|vehicle|truck|bus|bike/.test(c)) return "car";
  if (/animal|dog|cat|pet/.test(c)) return "animal";
  return undefined;
};

/**
 * The makers' topics as the reference home-automation integration's parsers read them
 * (docs/onvif.md lists them), normalised by normaliseTopic. First match wins per item.
 */
const RULES: readonly Rule[] = [
  { topic: /^VideoSource\/MotionAlarm$/, item: /^State$/, meaning: "motion" },
  { topic: /^RuleEngine\/CellMotionDetector\/Motion$/, item: /^IsMotion$/, meaning: "motion" },
  { topic: /^RuleEngine\/MotionRegionDetector\/Motion$/, item: /^State$/, meaning: "motion" },
  { topic: /^RuleEngine\/MyRuleDetector\/PeopleDetect$/, item: /^State$/, meaning: "person" },
  { topic: /^RuleEngine\/MyRuleDetector\/VehicleDetect$/, item: /^State$/, meaning: "car" },
  { topic: /^RuleEngine\/MyRuleDetector\/DogCatDetect$/, item: /^State$/, meaning: "animal" },
  { topic: /^RuleEngine\/PeopleDetector\/People$/, item: /^IsPeople$/, meaning: "person" },
  { topic: /^RuleEngine\/VehicleDetector\/Vehicle$/, item: /^IsVehicle$/, meaning: "car" },
  { topic: /^RuleEngine\/PetDetector\/Pet$/, item: /^IsPet$/, meaning: "animal" },
  { topic: /^RuleEngine\/TPSmartEventDetector\/TPSmartEvent$/, item: /^IsPeople$/, meaning: "person" },
  { topic: /^RuleEngine\/TPSmartEventDetector\/TPSmartEvent$/, item: /^IsVehicle$/, meaning: "car" },
  { topic: /^RuleEngine\/TPSmartEventDetector\/TPSmartEvent$/, item: /^IsPet$/, meaning: "animal" },
  { topic: /^UserAlarm\/IVA\/HumanShapeDetect$/, item: /^State$/, meaning: "person" },
  { topic: /^RuleEngine\/FieldDetector\/ObjectsInside$/, item: /^IsInside$/, meaning: "intrusion" },
  { topic: /^RuleEngine\/LineDetector\/Crossed$/, item: /^ObjectId$/, meaning: "line_crossing", pulse: true },
  { topic: /^CameraApplicationPlatform\/ObjectAnalytics\//, item: /^active$/i, meaning: objectClass },
];

/** Simple items of a Source or Data element, by name. */
function items(node: Xml): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of node?.SimpleItem ?? []) {
    const name = i?.["@Name"];
    if (typeof name === "string") out[name] = String(i["@Value"] ?? "");
  }
  return out;
}

/** Camera time of a message, epoch seconds; 1970s and other impossible dates are left out. */
function messageTime(utc: string | undefined): number | undefined {
  if (!utc || utc.startsWith("0000")) return undefined;
  const ms = Date.parse(utc);
  return Number.isFinite(ms) && ms > Date.UTC(2000, 0, 1) ? ms / 1000 : undefined;
}

/**
 * What a PullMessages answer's NotificationMessages say, in camkeep's meanings. Messages of
 * topics camkeep has no meaning for are counted (`ignored`), not an error.
 */
export function readNotifications(messages: readonly Xml[]): { heard: Heard[]; ignored: number } {
  const heard: Heard[] = [];
  let ignored = 0;
  for (const m of messages) {
    const topic = normaliseTopic(text(m?.Topic) ?? "");
    const msg = m?.Message?.Message ?? m?.Message;
    const data = items(msg?.Data);
    const source = Object.entries(items(msg?.Source))
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const cameraTime = messageTime(msg?.["@UtcTime"]);
    const initial = msg?.["@PropertyOperation"] === "Initialized";
    let found = false;
    for (const rule of RULES) {
      if (!rule.topic.test(topic)) continue;
      const name = Object.keys(data).find((k) => rule.item.test(k));
      if (name === undefined) continue;
      const meaning = typeof rule.meaning === "function" ? rule.meaning(data) : rule.meaning;
      const value = rule.pulse ? true : onvifBoolean(data[name]);
      if (!meaning || value === undefined) continue;
      found = true;
      heard.push({ meaning, source: `${topic}|${source}`, value, pulse: !!rule.pulse, cameraTime, initial });
    }
    if (!found) ignored++;
  }
  return { heard, ignored };
}
