/** Retention modes (SPEC 3.6): which segments a rule keeps. */

export const RETAIN_MODES = ["all", "motion", "active_objects"] as const;
export type RetainMode = (typeof RETAIN_MODES)[number];

/** What a segment showed. An unjudged segment (no activity reported, SPEC 1.2) counts as having both. */
export interface Judged {
  motion: number;
  objects: number;
  unjudged: boolean;
}

/** Does a segment pass a mode? `all` always; `motion`/`active_objects` need some, or no judgement at all. */
export function modePasses(mode: RetainMode, s: Judged): boolean {
  if (mode === "all" || s.unjudged) return true;
  return mode === "motion" ? s.motion > 0 : s.objects > 0;
}
