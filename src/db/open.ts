import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { embeddedMigrations } from "./migrations.ts";
import * as schema from "./schema.ts";

// Opening the database: WAL, a busy timeout first, the embedded migrations.

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

/**
 * Opens (creating if needed) and migrates the database. WAL lets the API read while the
 * maintainer writes; synchronous=FULL makes a committed row survive power loss, which the
 * store order (docs/design.md#crash-safety: row before the cache file is removed) relies on.
 */
export function openDb(path: string): Db {
  try {
    return open(path);
  } catch (e) {
    // A file that is not a database, or a folder without rights: say which file; touch nothing.
    throw new Error(`cannot open the database ${path}: ${(e as Error).message}`);
  }
}

function open(path: string): Db {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  const created = !existsSync(path);
  const client = new Database(path, { create: true, strict: true });
  // Footage times, events and sessions: not for other users of the box.
  if (created) chmodSync(path, 0o640);
  // The wait first: another connection (a command beside the keeper, the keeper's own last
  // checkpoint as it closed) may hold a lock for a moment, and even switching to WAL needs one.
  client.run("PRAGMA busy_timeout = 5000");
  client.run("PRAGMA journal_mode = WAL");
  client.run("PRAGMA synchronous = FULL");
  const db = drizzle({ client, schema });
  // drizzle's own migrator, fed the embedded files instead of a folder.
  (db as unknown as { dialect: { migrate: (m: unknown, s: unknown, c: unknown) => void } }).dialect.migrate(
    embeddedMigrations(),
    (db as unknown as { session: unknown }).session,
    {},
  );
  return db;
}
