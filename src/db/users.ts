import { asc, eq } from "drizzle-orm";
import type { Db } from "./open.ts";
import { sessions, users } from "./schema.ts";

// The users table (docs/security.md#users-and-roles). Invariant: a user removed or given a new
// password has no session left — both happen in one transaction here, the only writer.

export type Role = "admin" | "viewer";
export type UserRow = typeof users.$inferSelect;

export function userByName(db: Db, name: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.name, name)).get();
}

/** A user as lists and answers show it: never its password hash. */
export const publicUser = ({ password_hash: _, ...u }: UserRow): Omit<UserRow, "password_hash"> => u;

export function listUsers(db: Db): Omit<UserRow, "password_hash">[] {
  return db.select().from(users).orderBy(asc(users.name)).all().map(publicUser);
}

/** Adds a user; false when the name is taken. */
export function addUser(
  db: Db,
  u: { name: string; role: Role; cameras: string[]; password_hash: string },
  now: number,
): boolean {
  const added = db
    .insert(users)
    .values({ ...u, created_at: now, changed_at: now })
    .onConflictDoNothing()
    .returning({ name: users.name })
    .all();
  return added.length > 0;
}

/**
 * Changes a user's role, cameras or password; a new password (or a lower role) ends the user's
 * sessions in the same transaction. False when there is no such user.
 */
export function changeUser(
  db: Db,
  name: string,
  change: { role?: Role; cameras?: string[]; password_hash?: string },
  now: number,
): boolean {
  return db.transaction((tx) => {
    const before = tx.select({ role: users.role }).from(users).where(eq(users.name, name)).get();
    if (!before) return false;
    tx.update(users)
      .set({ ...change, changed_at: now })
      .where(eq(users.name, name))
      .run();
    if (change.password_hash !== undefined || (change.role === "viewer" && before.role === "admin"))
      tx.delete(sessions).where(eq(sessions.user, name)).run();
    return true;
  });
}

/** Removes a user and its sessions at once; false when there is no such user. */
export function removeUser(db: Db, name: string): boolean {
  return db.transaction((tx) => {
    tx.delete(sessions).where(eq(sessions.user, name)).run();
    return tx.delete(users).where(eq(users.name, name)).returning({ n: users.name }).all().length > 0;
  });
}
