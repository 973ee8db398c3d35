import { readFileSync, statSync } from "node:fs";
import type { Logger } from "../log/log.ts";

/**
 * A secret kept in a file (the API token, the MQTT password, an S3 secret key): its contents,
 * trimmed. Others able to read the file are warned about: the secret is only as safe as it.
 */
export function readSecretFile(path: string, log: Logger): string {
  if (statSync(path).mode & 0o077) log.warn(`${path} can be read by other users: chmod 600 ${path}`);
  return readFileSync(path, "utf8").trim();
}
