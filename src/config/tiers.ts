import { resolve, sep } from "node:path";
import type { ParsedConfig } from "./schema.ts";
import { parseSize } from "./size.ts";

// Storage tiers in the configuration: their targets, ages and roles, checked and resolved.

export type TierTargetConfig =
  | { kind: "folder"; path: string }
  | {
      kind: "s3";
      endpoint: string;
      bucket: string;
      region: string;
      prefix: string;
      accessKeyId: string;
      /** Given inline; otherwise read from secretAccessKeyFile when the tier starts. */
      secretAccessKey?: string;
      secretAccessKeyFile?: string;
    };

/** A storage tier (docs/tiers.md), validated: a move tier has `after`, a copy tier has `copy`. */
export interface TierConfig {
  name: string;
  /** Seconds of age after which footage moves here; undefined for a copy tier. */
  after?: number;
  copy: boolean;
  /** Bytes per second at most; undefined: as fast as it goes. */
  maxRate?: number;
  concurrency: number;
  target: TierTargetConfig;
}

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in an age as the schema lets it through: a number of seconds, or "30m", "12h", "2d". */
export function ageSeconds(age: string | number): number {
  if (typeof age === "number") return age;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/.exec(age)!;
  return Number(m[1]) * AGE_UNITS[m[2]!]!;
}

/**
 * The tiers in camkeep's terms, with what the schema alone cannot check named: one target and
 * one role each, unique names, move tiers in order of age, folders apart from storage.
 */
export function resolveTiers(
  parsed: ParsedConfig["storage"]["tiers"],
  baseDir: string,
  recordingsDir: string,
): { tiers: TierConfig[]; problems: string[] } {
  const problems: string[] = [];
  const tiers: TierConfig[] = [];
  const names = new Set<string>();
  let lastAfter = -1;
  parsed.forEach((t, i) => {
    const at = `storage.tiers.${i}`;
    if (names.has(t.name)) problems.push(`${at}.name: "${t.name}" names two tiers`);
    names.add(t.name);
    if ((t.path === undefined) === (t.s3 === undefined))
      problems.push(
        `${at}: give either path (a folder) or s3 (a bucket), not ${t.path === undefined ? "neither" : "both"}`,
      );
    const copy = t.copy === true;
    if ((t.after === undefined) === !copy)
      problems.push(
        `${at}: give either after (move footage of that age) or copy: true (copy every kept segment at once), not ${copy ? "both" : "neither"}`,
      );
    const after = t.after === undefined ? undefined : ageSeconds(t.after);
    if (after !== undefined) {
      if (after <= lastAfter)
        problems.push(
          `${at}.after: tiers are checked in order as footage ages: must be later than the tier before it`,
        );
      lastAfter = after;
    }
    let target: TierTargetConfig | undefined;
    if (t.path !== undefined) {
      const path = resolve(baseDir, t.path);
      const inside = (a: string, b: string) => a === b || a.startsWith(b + sep);
      if (inside(path, recordingsDir) || inside(recordingsDir, path))
        problems.push(
          `${at}.path: ${path} overlaps recordings_dir ${recordingsDir}: a tier must be a folder of its own`,
        );
      target = { kind: "folder", path };
    } else if (t.s3) {
      const s = t.s3;
      if ((s.secret_access_key === undefined) === (s.secret_access_key_file === undefined))
        problems.push(`${at}.s3: give either secret_access_key or secret_access_key_file`);
      target = {
        kind: "s3",
        endpoint: s.endpoint,
        bucket: s.bucket,
        region: s.region,
        prefix: s.prefix,
        accessKeyId: s.access_key_id,
        secretAccessKey: s.secret_access_key,
        secretAccessKeyFile: s.secret_access_key_file && resolve(baseDir, s.secret_access_key_file),
      };
    }
    const maxRate = t.max_rate === undefined ? undefined : parseSize(t.max_rate);
    if (target) tiers.push({ name: t.name, after, copy, maxRate, concurrency: t.concurrency, target });
  });
  return { tiers, problems };
}
