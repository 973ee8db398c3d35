import { spawnSync } from "node:child_process";
import type { Db } from "../db/open.ts";
import { listShares, revokeShare, shareSecret } from "../db/shares.ts";
import { addUser, changeUser, listUsers, removeUser, type Role } from "../db/users.ts";
import { hashPassword, passwordProblem, USER_NAME } from "./passwords.ts";
import { shareLink, shareStatus } from "./share-links.ts";

// `camkeep users …` and `camkeep shares …` (docs/security.md): the same rules as the API's, on
// the database directly, so the first admin can be made before anyone can log in.

/** A command's mistake, said in a line; the command exits 2. */
export class UsageError extends Error {}

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
const now = () => Date.now() / 1000;

/** The value after `--flag`, if given. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new UsageError(`${name} needs a value`);
  return value;
}

/** A password: typed at the terminal (not shown), or the first line of standard input. */
async function readPassword(): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    spawnSync("stty", ["-echo"], { stdio: "inherit" });
    try {
      password = prompt("Password:") ?? "";
    } finally {
      spawnSync("stty", ["echo"], { stdio: "inherit" });
      process.stdout.write("\n");
    }
  } else password = (await Bun.stdin.text()).split(/\r?\n/)[0] ?? "";
  const problem = passwordProblem(password);
  if (problem) throw new UsageError(`the password ${problem}`);
  return password;
}

function grants(args: string[], known: readonly string[]): string[] | undefined {
  const given = flag(args, "--cameras");
  if (given === undefined) return undefined;
  const cameras = given.split(",").filter(Boolean);
  const unknown = cameras.filter((c) => !known.includes(c));
  if (unknown.length) throw new UsageError(`no camera ${unknown.join(", ")} (known: ${known.join(", ")})`);
  return cameras;
}

function role(args: string[]): Role | undefined {
  const given = flag(args, "--role");
  if (given !== undefined && given !== "admin" && given !== "viewer")
    throw new UsageError("--role must be admin or viewer");
  return given;
}

/** `camkeep users [list] | add NAME [--role R] [--cameras a,b] | passwd NAME | set NAME … | remove NAME`. */
export async function usersCommand(db: Db, args: string[], cameras: readonly string[]): Promise<number> {
  const [verb = "list", name] = args;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (verb === "list") {
    const users = listUsers(db);
    if (!users.length) out("no users (the API token is the way in; add one with camkeep users add NAME)");
    for (const u of users)
      out(
        `${u.name}  ${u.role}${u.role === "viewer" ? `  cameras: ${u.cameras.join(", ") || "(none)"}` : ""}  since ${iso(u.created_at)}`,
      );
    return 0;
  }
  if (name === undefined) throw new UsageError(`users ${verb} needs a user's name`);
  if (verb === "add") {
    if (!USER_NAME.test(name))
      throw new UsageError("a user's name is 1–32 lower-case letters, digits, '.', '_' or '-'");
    const r = role(args) ?? "viewer";
    const granted = grants(args, cameras) ?? [];
    const hash = await hashPassword(await readPassword());
    if (!addUser(db, { name, role: r, cameras: granted, password_hash: hash }, now()))
      throw new UsageError(`user ${name} exists already`);
    out(`added ${name} (${r}${r === "viewer" ? `: ${granted.join(", ") || "no cameras yet"}` : ""})`);
    return 0;
  }
  if (verb === "passwd" || verb === "set") {
    const change =
      verb === "passwd"
        ? { password_hash: await hashPassword(await readPassword()) }
        : { role: role(args), cameras: grants(args, cameras) };
    if (!changeUser(db, name, change, now())) throw new UsageError(`no user ${name}`);
    out(verb === "passwd" ? `new password for ${name}; its sessions ended` : `changed ${name}`);
    return 0;
  }
  if (verb === "remove") {
    if (!removeUser(db, name)) throw new UsageError(`no user ${name}`);
    out(`removed ${name} and its sessions`);
    return 0;
  }
  throw new UsageError(`users: unknown command ${verb} (list, add, passwd, set, remove)`);
}

/** `camkeep shares [list] | revoke ID`. */
export function sharesCommand(db: Db, args: string[]): number {
  const [verb = "list", id] = args;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (verb === "list") {
    const secret = shareSecret(db);
    const shares = listShares(db);
    if (!shares.length) out("no share links");
    for (const s of shares)
      out(
        `${s.id}  ${shareStatus(s, now())}  ${s.camera} ${iso(s.start)}–${iso(s.end)} UTC  until ${iso(s.expires_at)}` +
          `  used ${s.uses}${s.max_uses === null ? "" : ` of ${s.max_uses}`}  by ${s.created_by}  /share/${shareLink(secret, s)}/` +
          (s.note ? `  "${s.note}"` : ""),
      );
    return 0;
  }
  if (verb === "revoke") {
    if (id === undefined) throw new UsageError("shares revoke needs a share's id (see camkeep shares)");
    if (!revokeShare(db, id, now())) throw new UsageError(`no share ${id}`);
    out(`revoked ${id}`);
    return 0;
  }
  throw new UsageError(`shares: unknown command ${verb} (list, revoke)`);
}
