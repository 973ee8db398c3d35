// Users' names and passwords (docs/security.md#users-and-roles): the rules the CLI and the API share.

/** A user's name: lower case letters, digits, dot, dash, underscore; 1-32, starting with a letter or digit. */
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** What is wrong with a password, or undefined: at least 8 characters (a passphrase is better), at most 200. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < 8) return "must be at least 8 characters";
  if (password.length > 200) return "must be at most 200 characters";
  return undefined;
}

/** argon2id, Bun's defaults (64 MiB, 2 passes): a guess costs an attacker as much as a login costs the box. */
export const hashPassword = (password: string) => Bun.password.hash(password, "argon2id");
