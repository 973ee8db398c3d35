import pkg from "../package.json" with { type: "json" };

// The version and build camkeep reports.

export const VERSION: string = pkg.version;

/** Set by scripts/build.sh (--define); running from source they are unset. */
export const BUILD = {
  commit: process.env.CAMKEEP_COMMIT ?? "source",
  target: process.env.CAMKEEP_TARGET ?? `${process.platform}-${process.arch} (from source)`,
  bun: Bun.version,
};
