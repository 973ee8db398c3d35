import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as v from "valibot";
import { resolveConfig } from "./resolve.ts";
import { ConfigSchema, type ParsedConfig } from "./schema.ts";
import { ConfigError, type Config } from "./types.ts";
import { parseYaml } from "./yaml.ts";

// Loading a configuration: read, parse, validate (schema.ts), resolve (resolve.ts).
export {
  ConfigError,
  type CameraMotion,
  type CameraRecord,
  type Config,
  type RecorderConfig,
} from "./types.ts";

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
      output_args: [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-g",
        "10",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "32k",
      ],
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
