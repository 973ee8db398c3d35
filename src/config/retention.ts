import type { EventRule, Retention } from "../domain/retain.ts";
import type { RetentionBlock } from "./schema.ts";

/**
 * A `record` block's retention in camkeep's own terms (docs/configuration.md): the reference NVR's 0.12
 * shape (`retain`, `events`) and its 0.15–0.17 shape (`continuous`, `motion`, `alerts`,
 * `detections`) both become continuous rules and event rules. Pure.
 */

/** Keys that only the 0.12 shape has, and only the 0.15 one (`events.max_latency` is camkeep's own, in either). */
function keysOf(block: RetentionBlock): { old: string[]; current: string[] } {
  const old: string[] = [];
  if (block.retain) old.push("retain");
  for (const k of ["pre_capture", "post_capture", "objects", "required_zones", "retain"] as const)
    if (block.events?.[k] !== undefined) old.push(`events.${k}`);
  const current = (["continuous", "motion", "alerts", "detections"] as const).filter(
    (k) => block[k] !== undefined,
  );
  return { old, current };
}

/** The block's shape, undefined when it names no retention key; a problem when it mixes both. */
export function shapeOf(
  block: RetentionBlock,
  path: string,
): Retention["shape"] | undefined | { problem: string } {
  const { old, current } = keysOf(block);
  if (old.length && current.length) {
    return {
      problem: `${path}: mixes the reference's 0.12 keys (${old.join(", ")}) with its 0.15+ keys (${current.join(", ")}); use one shape`,
    };
  }
  return old.length ? "0.12" : current.length ? "0.15" : undefined;
}

/**
 * A camera's retention from the global block and its own. Same shape (or the camera names no
 * retention key): the camera's keys override the global ones key by key. Another shape: the
 * camera's block stands alone, with that shape's defaults.
 */
export function effectiveRetention(global: RetentionBlock, own: RetentionBlock): Retention {
  const g = shapeOf(global, "") as Retention["shape"] | undefined;
  const c = shapeOf(own, "") as Retention["shape"] | undefined;
  const shape = c ?? g ?? "0.12";
  const merged = c && g && c !== g ? own : mergeBlocks(c === undefined || c === g ? global : {}, own);
  return shape === "0.12" ? fromOldShape(merged) : fromCurrentShape(merged);
}

/** 0.12: one continuous rule (retain), one event rule for every event (events). */
function fromOldShape(b: RetentionBlock): Retention {
  const e = b.events ?? {};
  return {
    shape: "0.12",
    // Inside retain.days everything stored stays (the mode chose what was stored), as in the reference.
    continuous: [{ days: b.retain?.days ?? 0, mode: b.retain?.mode ?? "all", recheck: false }],
    events: [
      {
        pre_capture: e.pre_capture ?? 5,
        post_capture: e.post_capture ?? 5,
        days: e.retain?.default ?? 10,
        mode: e.retain?.mode ?? "motion",
        objects: e.retain?.objects ?? {},
        labels: e.objects,
        zones: e.required_zones ?? [],
      },
    ],
  };
}

/** 0.15+: continuous days keep all, motion days keep what moved; alerts and detections each keep their own. */
function fromCurrentShape(b: RetentionBlock): Retention {
  const review = (severity: EventRule["severity"], r: RetentionBlock["alerts"]): EventRule => ({
    severity,
    pre_capture: r?.pre_capture ?? 5,
    post_capture: r?.post_capture ?? 5,
    days: r?.retain?.days ?? 10,
    mode: r?.retain?.mode ?? "motion",
    objects: {},
    zones: [],
  });
  return {
    shape: "0.15",
    continuous: [
      { days: b.continuous?.days ?? 0, mode: "all", recheck: false },
      { days: b.motion?.days ?? 0, mode: "motion", recheck: true },
    ],
    events: [review("alert", b.alerts), review("detection", b.detections)],
  };
}

/** Key by key, nested objects too; `objects` maps label by label. */
function mergeBlocks(global: RetentionBlock, own: RetentionBlock): RetentionBlock {
  const out: Record<string, unknown> = { ...global };
  for (const [k, v] of Object.entries(own)) {
    const base = out[k];
    out[k] =
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      base &&
      typeof base === "object" &&
      !Array.isArray(base)
        ? mergeBlocks(base as RetentionBlock, v as RetentionBlock)
        : v;
  }
  return out as RetentionBlock;
}
