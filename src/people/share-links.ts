import { createHmac, timingSafeEqual } from "node:crypto";

// Share links (docs/security.md#share-links): `<id>.<mac>`, the MAC an HMAC-SHA256 of what the link
// opens (its id, camera and span) under the box's share secret. The link carries no secret of the
// box; a character changed anywhere fails the MAC. Whether it still opens (expiry, revocation, uses)
// is the row's to say, never the link's.

/** The longest and the default life of a link. */
export const MAX_SHARE_DAYS = 30;
export const DEFAULT_SHARE_DAYS = 7;

/** What a link opens. */
export interface ShareTerms {
  id: string;
  camera: string;
  start: number;
  end: number;
}

/** The MAC of what a share opens: 128 bits, base64url. */
function shareMac(secret: Uint8Array, t: ShareTerms): string {
  const terms = JSON.stringify([t.id, t.camera, t.start, t.end]);
  return createHmac("sha256", secret).update(terms).digest().subarray(0, 16).toString("base64url");
}

/** The link's path segment for a share. */
export const shareLink = (secret: Uint8Array, t: ShareTerms) => `${t.id}.${shareMac(secret, t)}`;

/** The id a link names, if it is shaped like one (whether it holds is `linkHolds`'s). */
export function linkId(link: string): string | undefined {
  return /^([0-9a-f]{16})\.[A-Za-z0-9_-]{22}$/.exec(link)?.[1];
}

/** Whether `link` is exactly the link of these terms (compared in constant time). */
export function linkHolds(secret: Uint8Array, link: string, t: ShareTerms): boolean {
  const given = Buffer.from(link);
  const expected = Buffer.from(shareLink(secret, t));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface ShareState {
  expires_at: number;
  revoked_at: number | null;
  max_uses: number | null;
  uses: number;
}

/** Why a share no longer opens (410 Gone), or undefined while it does; `using` when one more use is asked for. */
export function shareGone(s: ShareState, now: number, using: boolean): string | undefined {
  if (s.revoked_at !== null) return `this link was revoked on ${new Date(s.revoked_at * 1000).toISOString()}`;
  if (now >= s.expires_at) return `this link expired on ${new Date(s.expires_at * 1000).toISOString()}`;
  if (using && s.max_uses !== null && s.uses >= s.max_uses)
    return `this link was used its ${s.max_uses} time${s.max_uses === 1 ? "" : "s"}`;
  return undefined;
}

/** A share's state in one word, for lists. */
export function shareStatus(s: ShareState, now: number): "active" | "revoked" | "expired" | "used up" {
  if (s.revoked_at !== null) return "revoked";
  if (now >= s.expires_at) return "expired";
  if (s.max_uses !== null && s.uses >= s.max_uses) return "used up";
  return "active";
}
