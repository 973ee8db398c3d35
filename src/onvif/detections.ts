import type { ActivityFrame } from "../domain/activity.ts";
import type { Heard, Meaning } from "./topics.ts";

// What a camera detects now, from what it said: states, the events they open and close,
// and the activity frames they make. Pure: the caller passes the clock and the ids.

/** Meanings that are objects (active_objects keeps them) and open events. Motion is activity only. */
const OBJECTS: ReadonlySet<Meaning> = new Set(["person", "car", "animal", "intrusion", "line_crossing"]);
/** Review severity of events by label, as the reference's defaults have it: people and cars alert. */
const ALERTS: ReadonlySet<string> = new Set(["person", "car"]);
/** A state heard late (or "Initialized" long on) fills in at most this much activity before now. */
const BACKFILL_S = 60;
/** A line crossing is a moment: its event lasts this long. */
const PULSE_S = 1;

interface On {
  meaning: Meaning;
  since: number;
  event?: string;
}

export interface DetectionState {
  on: Map<string, On>;
}

export type DetectionAct =
  | { kind: "open"; id: string; label: Meaning; start: number; severity: "alert" | "detection" }
  | { kind: "close"; id: string; end: number }
  | { kind: "frames"; frames: ActivityFrame[] };

export const newDetections = (): DetectionState => ({ on: new Map() });

const severityOf = (label: string) => (ALERTS.has(label) ? "alert" : "detection");

/** A frame of what is on at `t` (additive: frames are summed over a segment). */
function frame(t: number, motion: number, objects: number): ActivityFrame {
  return { t, motion, objects };
}

/**
 * Applies one thing heard, at `at` (our clock, epoch seconds; the camera's time already
 * corrected), `now` being the time of hearing it.
 */
export function hear(
  s: DetectionState,
  h: Heard,
  at: number,
  now: number,
  newId: () => string,
): DetectionAct[] {
  const key = `${h.meaning}|${h.source}`;
  const acts: DetectionAct[] = [];
  const isObject = OBJECTS.has(h.meaning);
  if (h.pulse) {
    const id = newId();
    acts.push(
      { kind: "open", id, label: h.meaning, start: at, severity: severityOf(h.meaning) },
      { kind: "close", id, end: at + PULSE_S },
      { kind: "frames", frames: [frame(at, 0, 1)] },
    );
    return acts;
  }
  const known = s.on.get(key);
  if (h.value) {
    if (known) return acts; // said again (an Initialized repeat, a chatty camera)
    const since = Math.max(at, now - BACKFILL_S);
    const on: On = { meaning: h.meaning, since };
    if (isObject) {
      on.event = newId();
      acts.push({
        kind: "open",
        id: on.event,
        label: h.meaning,
        start: since,
        severity: severityOf(h.meaning),
      });
    }
    s.on.set(key, on);
    // The seconds from its start to now, which the ticks already passed without it.
    const frames: ActivityFrame[] = [];
    for (let t = since; t < now; t += 1) frames.push(frame(t, isObject ? 0 : 1, isObject ? 1 : 0));
    if (frames.length) acts.push({ kind: "frames", frames });
    return acts;
  }
  if (!known) return acts;
  s.on.delete(key);
  if (known.event) acts.push({ kind: "close", id: known.event, end: Math.max(known.since, at) });
  return acts;
}

/** States on longer than `maxLength` end there (a camera that never says "off"). */
export function expire(s: DetectionState, now: number, maxLength: number): DetectionAct[] {
  const acts: DetectionAct[] = [];
  for (const [key, on] of s.on) {
    if (now - on.since < maxLength) continue;
    s.on.delete(key);
    if (on.event) acts.push({ kind: "close", id: on.event, end: on.since + maxLength });
  }
  return acts;
}

/** Everything ends now: the camera can no longer be heard (its states are unknown from here). */
export function forget(s: DetectionState, now: number): DetectionAct[] {
  const acts: DetectionAct[] = [];
  for (const on of s.on.values())
    if (on.event) acts.push({ kind: "close", id: on.event, end: Math.max(on.since, now) });
  s.on.clear();
  return acts;
}

/** The activity frame of this second while the camera is heard: its motion and objects on (0 and 0: "no motion"). */
export function tick(s: DetectionState, t: number): ActivityFrame {
  let motion = 0;
  let objects = 0;
  for (const on of s.on.values()) {
    if (OBJECTS.has(on.meaning)) objects++;
    else motion = 1;
  }
  return frame(t, motion, objects);
}
