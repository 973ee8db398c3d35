import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../config/load.ts";
import { logger } from "../log/log.ts";
import { readSecretFile } from "../config/secret-file.ts";

// The API token: from the config, or a file made with a random one.

const log = logger("api");

/**
 * The API token: `api.token` when set, else the contents of `api.token_file`, which is created
 * with a random token (mode 0600) on first start.
 */
export function resolveToken(config: Config): string {
  if (config.api.token) return config.api.token;
  const file = config.api.tokenFile;
  if (existsSync(file)) {
    const token = readSecretFile(file, log);
    if (token.length < 16)
      throw new Error(
        `${file} holds no usable token (16 characters at least); delete it to have a new one made`,
      );
    log.info(`API token from ${file}`);
    return token;
  }
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  log.info(`created an API token in ${file} (mode 0600)`);
  return token;
}
