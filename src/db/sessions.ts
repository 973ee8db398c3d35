import { createHash } from "node:crypto";
import { and, eq, gt, like, lte } from "drizzle-orm";
import type { Db } from "./open.ts";
import { sessions } from "./schema.ts";

/** How long a login lasts. */
export const SESSION_DAYS = 30;

export const sessionHash = (id: string) => createHash("sha256").update(id).digest("hex");
/** What lists and revocations call a session: the start of its hash (never the secret itself). */
export const publicId = (hash: string) => hash.slice(0, 12);

/** A new session; returns its secret id, which only the browser keeps. */
export function createSession(db: Db, client: string, agent: string, now: number): string {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  db.insert(sessions)
    .values({
      id_hash: sessionHash(id),
      created_at: now,
      expires_at: now + SESSION_DAYS * 86_400,
      client,
      agent: agent.slice(0, 200),
    })
    .run();
  return id;
}

/** Whether a cookie's id is a live session (a read by primary key; nothing written). */
export function sessionValid(db: Db, id: string, now: number): boolean {
  return (
    db
      .select({ h: sessions.id_hash })
      .from(sessions)
      .where(and(eq(sessions.id_hash, sessionHash(id)), gt(sessions.expires_at, now)))
      .get() !== undefined
  );
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
