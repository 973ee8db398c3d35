import { createHash } from "node:crypto";
import journal from "../../drizzle/meta/_journal.json" with { type: "json" };
import m0000 from "../../drizzle/0000_init.sql" with { type: "text" };
import m0001 from "../../drizzle/0001_health_probe.sql" with { type: "text" };
import m0002 from "../../drizzle/0002_covering_summary_index.sql" with { type: "text" };
import m0003 from "../../drizzle/0003_storage_identity.sql" with { type: "text" };
import m0004 from "../../drizzle/0004_drop_unused_end_index.sql" with { type: "text" };
import m0005 from "../../drizzle/0005_sessions.sql" with { type: "text" };
import m0006 from "../../drizzle/0006_event_severity_zones.sql" with { type: "text" };
import m0007 from "../../drizzle/0007_recording_buckets.sql" with { type: "text" };
import m0008 from "../../drizzle/0008_tiers.sql" with { type: "text" };
import m0009 from "../../drizzle/0009_one_move.sql" with { type: "text" };
import m0010 from "../../drizzle/0010_camera_totals.sql" with { type: "text" };
import m0011 from "../../drizzle/0011_evidence.sql" with { type: "text" };
import m0012 from "../../drizzle/0012_seals.sql" with { type: "text" };
import m0013 from "../../drizzle/0013_cases.sql" with { type: "text" };
import m0014 from "../../drizzle/0014_audit.sql" with { type: "text" };
import m0015 from "../../drizzle/0015_events_first.sql" with { type: "text" };
import m0016 from "../../drizzle/0016_archive.sql" with { type: "text" };
import m0017 from "../../drizzle/0017_people.sql" with { type: "text" };

/**
 * drizzle-kit's migrations, embedded so a compiled binary run from any folder can create and
 * upgrade its database (drizzle's folder-based migrate() reads files at run time, which a
 * `bun build --compile` binary does not have). Add each new file from drizzle/ here; a test
 * fails when the journal names one that is missing.
 */
const SQL: Record<string, string> = {
  "0000_init": m0000,
  "0001_health_probe": m0001,
  "0002_covering_summary_index": m0002,
  "0003_storage_identity": m0003,
  "0004_drop_unused_end_index": m0004,
  "0005_sessions": m0005,
  "0006_event_severity_zones": m0006,
  "0007_recording_buckets": m0007,
  "0008_tiers": m0008,
  "0009_one_move": m0009,
  "0010_camera_totals": m0010,
  "0011_evidence": m0011,
  "0012_seals": m0012,
  "0013_cases": m0013,
  "0014_audit": m0014,
  "0015_events_first": m0015,
  "0016_archive": m0016,
  "0017_people": m0017,
};

export interface MigrationMeta {
  sql: string[];
  folderMillis: number;
  hash: string;
  bps: boolean;
}

/** The same records drizzle's readMigrationFiles() builds from the folder. */
export function embeddedMigrations(): MigrationMeta[] {
  return journal.entries.map((entry) => {
    const query = SQL[entry.tag];
    if (query === undefined)
      throw new Error(`migration ${entry.tag} is in the journal but not embedded in src/db/migrations.ts`);
    return {
      sql: query.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash("sha256").update(query).digest("hex"),
    };
  });
}
