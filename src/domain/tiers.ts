/**
 * Which footage goes where as it ages (docs/tiers.md), and how long a failed transfer waits. Pure.
 */

export interface TierRole {
  name: string;
  /** Seconds of age after which footage moves to this tier; undefined: a copy tier. */
  after?: number;
}

/** One kind of due move: footage in `from` (null: local storage) that started before `before` goes to `to`. */
export interface DueMove {
  from: string | null;
  to: string;
  before: number;
}

/**
 * The moves due at `now`, the furthest tier first: footage old enough for a later tier goes
 * there at once, not through every tier before it. Footage in a copy tier (repointed there by
 * disk protection) stays where it is.
 */
export function dueMoves(tiers: readonly TierRole[], now: number): DueMove[] {
  const moves = tiers.filter((t) => t.after !== undefined);
  const plan: DueMove[] = [];
  moves.forEach((to, k) => {
    for (const from of [null, ...moves.slice(0, k).map((t) => t.name)])
      plan.push({ from, to: to.name, before: now - to.after! });
  });
  return plan.reverse();
}

/**
 * Whether a move to `to` still applies to footage now in `from` (null: local storage): only
 * from local storage or a move tier before it, as dueMoves plans. Footage that went on to a
 * later tier (or into a copy tier, repointed there by disk protection) is never moved back.
 */
export function moveStillDue(tiers: readonly TierRole[], from: string | null, to: string): boolean {
  if (from === null) return true;
  const moves = tiers.filter((t) => t.after !== undefined).map((t) => t.name);
  const at = moves.indexOf(from);
  return at >= 0 && at < moves.indexOf(to);
}

/** Seconds before a transfer or removal that failed `attempts` times is tried again: 2, 4, 8 … up to 10 minutes. */
export function retryDelay(attempts: number): number {
  return Math.min(600, 2 ** Math.max(1, attempts));
}
