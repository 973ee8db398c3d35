import { readSecretFile } from "../config/secret-file.ts";
import { logger } from "../log/log.ts";
import type { TierConfig } from "../config/tiers.ts";
import type { Db } from "../db/open.ts";
import { tierHoldsFootage } from "../db/tiers.ts";
import { FolderTier } from "./folder.ts";
import { S3Tier } from "./s3.ts";
import type { TierTarget } from "./target.ts";

// Each configured tier's store, opened once.

const log = logger("tiers");

/** A tier that cannot be opened (its secret unreadable): every use says why; nothing else stops. */
class UnusableTier implements TierTarget {
  constructor(
    readonly name: string,
    private readonly why: string,
  ) {}
  problem() {
    return this.why;
  }
  async probe() {
    return this.why;
  }
  private fail(): never {
    throw new Error(this.why);
  }
  put() {
    return this.fail();
  }
  verify() {
    return this.fail();
  }
  read() {
    return this.fail();
  }
  stream() {
    return this.fail();
  }
  remove() {
    return this.fail();
  }
  respond() {
    return this.fail();
  }
  source() {
    return this.fail();
  }
}

/** Each configured tier's store, by name. */
export function openTiers(tiers: readonly TierConfig[], db: Db): Map<string, TierTarget> {
  return new Map(tiers.map((t): [string, TierTarget] => [t.name, openTier(t, db)]));
}

function openTier(t: TierConfig, db: Db): TierTarget {
  const target = t.target;
  if (target.kind === "folder")
    return new FolderTier(t.name, target.path, db, () => tierHoldsFootage(db, t.name));
  let secret = target.secretAccessKey;
  if (secret === undefined) {
    try {
      secret = readSecretFile(target.secretAccessKeyFile!, log);
    } catch (e) {
      return new UnusableTier(
        t.name,
        `tier ${t.name}: cannot read secret_access_key_file ${target.secretAccessKeyFile}: ${(e as Error).message}`,
      );
    }
  }
  return new S3Tier(t.name, { ...target, secretAccessKey: secret });
}
