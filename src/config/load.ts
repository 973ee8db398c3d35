import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as v from "valibot";
import { parseDocument } from "yaml";
import { parsePolygon, type Polygon } from "../domain/geometry.ts";
import type { Retention } from "../domain/retain.ts";
import { effectiveRetention, shapeOf } from "./retention.ts";
import { ConfigSchema, type MotionConfig, type ParsedConfig, type RecordConfig } from "./schema.ts";
import { parseMinFree, type MinFree } from "./size.ts";
import { resolveTiers, type TierConfig } from "./tiers.ts";

/**
 * A camera's effective record settings: the global `record` with the camera's overrides, its
 * retention in camkeep's own terms (rules), whichever of the reference's shapes it came in.
 */
export interface CameraRecord extends Retention {
  enabled: boolean;
  max_cache_segments: number;
  cache_timezone: string;
  /** Seconds activity may lag behind the clock (record.events.max_latency). */
  max_latency: number;
  /** record.max_size in bytes: the camera's quota; undefined for none. */
  max_size?: number;
}

export interface CameraConfig {
  name: string;
  /** Set when camkeep runs this camera's recorder. */
  recorder?: RecorderConfig;
  record: CameraRecord;
  motion: CameraMotion;
}

/** A camera's effective motion settings (docs/motion.md), its mask parsed. */
export interface CameraMotion extends Omit<MotionConfig, "mask"> {
  mask: Polygon[];
}

export interface RecorderConfig {
  input: string;
  segmentTime: number;
  inputArgs: string[];
  outputArgs: string[];
}

/** The effective configuration: every default filled, every path absolute. */
export interface Config {
  source: string; // the file it came from, or "built-in defaults"
  dataDir: string;
  cacheDir: string;
  recordingsDir: string;
  database: string;
  log: ParsedConfig["log"];
  api: { host: string; port: number; token?: string; tokenFile: string; allowedHosts: string[]; maxExports: number; exportStallTimeout: number };
  storage: { minFree: MinFree; tiers: TierConfig[] };
  health: ParsedConfig["health"];
  media: ParsedConfig["media"];
  record: RecordConfig;
  mqtt?: ParsedConfig["mqtt"];
  /** The global record block's effective settings: what cameras no longer configured are kept by. */
  defaults: CameraRecord;
  cameras: Record<string, CameraConfig>;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Reads, parses and validates a configuration file. Throws ConfigError naming every problem. */
export function loadConfigFile(path: string): Config {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  return parseConfig(text, file);
}

/**
 * With no configuration file: defaults under ./data, and one demo camera recording ffmpeg's
 * synthetic picture and tone, so a first start shows the whole chain working at once. Its
 * segments are stored about 20 s after they start (no detector: a short max_latency) and kept
 * a day. Any configuration file replaces the demo entirely.
 */
export const DEMO_CONFIG = {
  cameras: {
    demo: {
      input: "testsrc2=size=320x240:rate=5[out0];sine=frequency=440:sample_rate=16000[out1]",
      input_args: ["-re", "-f", "lavfi"],
      output_args: ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k"],
      segment_time: 10,
      record: { retain: { days: 1 }, events: { max_latency: 5 } },
    },
  },
  record: { commit_interval: 0 }, // a first look: index at once
};

export function defaultConfig(cwd = process.cwd()): Config {
  return resolveConfig(validate(DEMO_CONFIG, "built-in defaults"), "built-in defaults (demo camera)", cwd);
}

export function parseConfig(text: string, file: string): Config {
  const doc = parseYaml(text, file);
  return resolveConfig(validate(doc, file), file, dirname(file));
}

function parseYaml(text: string, file: string): unknown {
  let doc: unknown;
  try {
    doc = Bun.YAML.parse(text);
  } catch (e) {
    throw new ConfigError(file, [yamlSyntaxError(text, (e as Error).message.replace(/^YAML Parse error: /, ""))]);
  }
  if (doc === null || doc === undefined) return {}; // an empty file means all defaults
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(file, ["the file must hold a mapping of settings (key: value lines)"]);
  }
  return doc;
}

/**
 * Bun's YAML errors carry no position; the `yaml` package's parser does. It is asked only
 * once Bun has refused the text, for where and why; when it sees no error, Bun's word stands.
 */
function yamlSyntaxError(text: string, bunMessage: string): string {
  const first = parseDocument(text).errors[0];
  const at = first?.linePos?.[0];
  if (!first || !at) return `YAML syntax error: ${bunMessage}`;
  const why = first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  // Something left open (a bracket, a quote) is noticed at the end of the text: name the last
  // line that holds anything rather than the empty one after it.
  const lastLine = text.trimEnd().split("\n").length;
  if (at.line > lastLine) return `YAML syntax error at line ${lastLine} (unclosed at the end of the file): ${why}`;
  return `YAML syntax error at line ${at.line}, column ${at.col}: ${why}`;
}

function validate(doc: unknown, file: string): ParsedConfig {
  const result = v.safeParse(ConfigSchema, doc);
  if (result.success) return result.output;
  throw new ConfigError(file, result.issues.map(describeIssue));
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  // Unknown keys of strict objects: valibot puts the key in the path; say it plainly.
  if (issue.expected === "never" && issue.kind === "schema") {
    return `${path ?? "(top level)"}: unknown key (check its spelling and indentation)`;
  }
  return `${path ?? "(top level)"}: ${issue.message}`;
}

function resolveConfig(c: ParsedConfig, source: string, baseDir: string): Config {
  const dataDir = resolve(baseDir, c.data_dir);
  const inData = (given: string | undefined, name: string) =>
    given === undefined ? resolve(dataDir, name) : resolve(baseDir, given);
  const problems: string[] = [];

  const [host, port] = splitListen(c.api.listen);
  let minFree: MinFree = { kind: "auto" };
  try {
    minFree = parseMinFree(c.storage.min_free);
  } catch (e) {
    problems.push(`storage.min_free: ${(e as Error).message}`);
  }
  problems.push(...shapeProblems(c));
  const recordingsDir = inData(c.recordings_dir, "recordings");
  const tiers = resolveTiers(c.storage.tiers, baseDir, recordingsDir);
  problems.push(...tiers.problems);
  if (problems.length) throw new ConfigError(source, problems);

  const cameras: Record<string, CameraConfig> = {};
  for (const [name, cam] of Object.entries(c.cameras)) {
    const own = cam ?? { segment_time: 10, input_args: [], output_args: [] };
    cameras[name] = {
      name,
      recorder: own.input === undefined ? undefined : { input: own.input, segmentTime: own.segment_time, inputArgs: own.input_args, outputArgs: own.output_args },
      record: mergeRecord(c.record, own.record ?? {}),
      motion: mergeMotion(c.motion, own.motion ?? {}),
    };
  }
  return {
    source,
    dataDir,
    cacheDir: inData(c.cache_dir, "cache"),
    recordingsDir,
    database: inData(c.database, "camkeep.db"),
    log: c.log,
    api: {
      host, port, token: c.api.token, tokenFile: inData(c.api.token_file, "api-token"),
      allowedHosts: c.api.allowed_hosts, maxExports: c.api.max_exports, exportStallTimeout: c.api.export_stall_timeout,
    },
    storage: { minFree, tiers: tiers.tiers },
    health: c.health,
    media: c.media,
    record: c.record,
    mqtt: c.mqtt && { ...c.mqtt, password_file: c.mqtt.password_file && resolve(baseDir, c.mqtt.password_file) },
    defaults: mergeRecord(c.record, {}),
    cameras,
  };
}

function mergeMotion(global: MotionConfig, own: Partial<MotionConfig>): CameraMotion {
  const merged = { ...global, ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) };
  const masks = typeof merged.mask === "string" ? [merged.mask] : merged.mask;
  return { ...merged, mask: masks.map((m) => parsePolygon(m) as Polygon) }; // validated by the schema
}

function splitListen(listen: string): [string, number] {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return [host, Number(listen.slice(at + 1))];
}

type CameraOverrides = NonNullable<NonNullable<ParsedConfig["cameras"][string]>["record"]>;

function mergeRecord(global: RecordConfig, own: CameraOverrides): CameraRecord {
  return {
    enabled: own.enabled ?? global.enabled,
    max_cache_segments: own.max_cache_segments ?? global.max_cache_segments,
    cache_timezone: own.cache_timezone ?? global.cache_timezone,
    max_latency: own.events?.max_latency ?? global.events?.max_latency ?? 60,
    max_size: sizeInBytes(own.max_size ?? global.max_size),
    ...effectiveRetention(global, own),
  };
}

function sizeInBytes(size: string | number | undefined): number | undefined {
  if (size === undefined) return undefined;
  const parsed = parseMinFree(size); // the same units; the schema let no "auto" or "%" through
  return parsed.kind === "bytes" ? parsed.bytes : undefined;
}

/** Blocks that mix the reference's two shapes, named. */
function shapeProblems(c: ParsedConfig): string[] {
  const blocks: [string, CameraOverrides][] = [["record", c.record], ...Object.entries(c.cameras).map(([n, cam]) => [`cameras.${n}.record`, cam?.record ?? {}] as [string, CameraOverrides])];
  return blocks.flatMap(([path, block]) => {
    const shape = shapeOf(block, path);
    return typeof shape === "object" ? [shape.problem] : [];
  });
}
