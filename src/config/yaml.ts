import { parseDocument } from "yaml";
import { ConfigError } from "./types.ts";

/** A YAML text as a mapping of settings, or a ConfigError naming the line and why. */
export function parseYaml(text: string, file: string): unknown {
  let doc: unknown;
  try {
    doc = Bun.YAML.parse(text);
  } catch (e) {
    throw new ConfigError(file, [
      yamlSyntaxError(text, (e as Error).message.replace(/^YAML Parse error: /, "")),
    ]);
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
  if (at.line > lastLine)
    return `YAML syntax error at line ${lastLine} (unclosed at the end of the file): ${why}`;
  return `YAML syntax error at line ${at.line}, column ${at.col}: ${why}`;
}
