import { createHash } from "node:crypto";
import { and, eq, gt, like, lte } from "drizzle-orm";
import type { Db } from "./open.ts";
import { sessions, users } from "./schema.ts";
import type { Role } from "./users.ts";

/** How long a login lasts. */
export const SESSION_DAYS = 30;

export const sessionHash = (id: string) => createHash("sha256").update(id).digest("hex");
/** What lists and revocations call a session: the start of its hash (never the secret itself). */
export const publicId = (hash: string) => hash.slice(0, 12);

/** A new session of `user` (null: begun with the API token); returns its secret id, which only the browser keeps. */
export function createSession(
  db: Db,
  user: string | null,
  client: string,
  agent: string,
  now: number,
): string {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  db.insert(sessions)
    .values({
      id_hash: sessionHash(id),
      created_at: now,
      expires_at: now + SESSION_DAYS * 86_400,
      client,
      agent: agent.slice(0, 200),
      user,
    })
    .run();
  return id;
}

/** Whose a live session is (null user: begun with the token); undefined when it is not live. One read, nothing written. */
export function sessionOwner(
  db: Db,
  id: string,
  now: number,
): { user: { name: string; role: Role; cameras: string[] } | null } | undefined {
  const row = db
    .select({ user: sessions.user, name: users.name, role: users.role, cameras: users.cameras })
    .from(sessions)
    .leftJoin(users, eq(users.name, sessions.user))
    .where(and(eq(sessions.id_hash, sessionHash(id)), gt(sessions.expires_at, now)))
    .get();
  if (!row) return undefined;
  if (row.user === null) return { user: null };
  // (A user's removal deletes its sessions; a row left without its user is not a session.)
  return row.name === null ? undefined : { user: { name: row.name, role: row.role!, cameras: row.cameras! } };
}

export function listSessions(db: Db, now: number) {
  db.delete(sessions).where(lte(sessions.expires_at, now)).run(); // expired ones go when anyone looks
  return db
    .select()
    .from(sessions)
    .orderBy(sessions.created_at)
    .all()
    .map(({ id_hash, ...s }) => ({ id: publicId(id_hash), ...s }));
}

/** Revokes the session whose public id (or secret id) is given; false when there is none. */
export function revokeSession(db: Db, idOrSecret: string): boolean {
  const byHash = /^[0-9a-f]{12}$/.test(idOrSecret)
    ? like(sessions.id_hash, `${idOrSecret}%`)
    : eq(sessions.id_hash, sessionHash(idOrSecret));
  return db.delete(sessions).where(byHash).returning({ h: sessions.id_hash }).all().length > 0;
}

export function revokeAllSessions(db: Db): number {
  return db.delete(sessions).returning({ h: sessions.id_hash }).all().length;
}
