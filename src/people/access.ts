// Who may do what (docs/security.md#users-and-roles): the roles' rules as a table, pure. The API's
// access middleware (api/access.ts) asks `need` what a request touches, finds the camera of a
// recording or event it names, and asks `allows`.

/** A share link's grant: one camera's span, nothing else. */
export interface ShareGrant {
  id: string;
  camera: string;
  start: number;
  end: number;
}

/** Who a request is: an admin (the token, or an admin user), a viewer with its cameras, or a share link. */
export type Who =
  | { kind: "admin"; name: string }
  | { kind: "viewer"; name: string; cameras: readonly string[] }
  | { kind: "share"; name: string; share: ShareGrant };

/** What a request touches, as far as access goes. */
export type Need =
  /** Anything an admin alone may do: changes, deletions, users, shares, status internals, metrics. */
  | { to: "administer" }
  /** Open to every signed-in user (what the answer holds is theirs: their own cameras, the certificate). */
  | { to: "read-own" }
  /** One camera's footage or data, named in the path or query. */
  | { to: "camera"; camera: string }
  /** A recording's footage: the camera (and time) is the recording's. */
  | { to: "recording"; id: string }
  /** An event: the camera is the event's. */
  | { to: "event"; id: string };

const ADMIN: Need = { to: "administer" };
const reads = new Set(["GET", "HEAD"]);

/** The viewer's table: reads of their cameras' footage and events; everything else is an admin's. */
export function need(method: string, path: string, query: (name: string) => string | undefined): Need {
  if (!reads.has(method)) return ADMIN;
  let m: RegExpExecArray | null;
  if (path === "/api/me" || path === "/api/cameras" || path === "/api/evidence/certificate")
    return { to: "read-own" };
  if ((m = /^\/api\/cameras\/([^/]+)\/.+$/.exec(path))) return { to: "camera", camera: decode(m[1]!) };
  if ((m = /^\/api\/recordings\/([^/]+)\/(?:file|fragment\.m4s)$/.exec(path)))
    return { to: "recording", id: decode(m[1]!) };
  if (/^\/api\/init\/[^/]+$/.test(path)) return { to: "recording", id: query("from") ?? "" };
  if (path === "/api/events") {
    const camera = query("camera");
    return camera === undefined ? ADMIN : { to: "camera", camera }; // a viewer names the camera
  }
  if ((m = /^\/api\/events\/([^/]+)$/.exec(path))) return { to: "event", id: decode(m[1]!) };
  return ADMIN;
}

/** The paths a share link may reach under /api: its clip and playlist, and the playlist's parts. */
export function shareReaches(path: string): "counted" | "part" | undefined {
  if (/^\/api\/cameras\/[^/]+\/(?:clip\.mp4|vod\.m3u8)$/.test(path)) return "counted";
  if (/^\/api\/recordings\/[^/]+\/fragment\.m4s$/.test(path) || /^\/api\/init\/[^/]+$/.test(path))
    return "part";
  return undefined;
}

/** What the need resolved to: the camera (and span, for a recording) it touches. */
export interface Touched {
  camera: string;
  /** A recording's span, when the need was a recording. */
  span?: { start: number; end: number };
}

/**
 * Whether `who` may do what needs `need`, which touches `touched` (undefined when the recording or
 * event named does not exist: a non-admin learns nothing of it).
 */
export function allows(who: Who, need: Need, touched: Touched | undefined): boolean {
  if (who.kind === "admin") return true;
  if (need.to === "administer") return false;
  if (need.to === "read-own") return who.kind === "viewer";
  if (!touched) return false;
  if (who.kind === "viewer") return who.cameras.includes(touched.camera);
  const { share } = who;
  if (touched.camera !== share.camera) return false;
  return !touched.span || (touched.span.end > share.start && touched.span.start < share.end);
}

/** The cameras `who` may see, out of `all`. */
export function visibleCameras(who: Who, all: readonly string[]): string[] {
  if (who.kind === "admin") return [...all];
  if (who.kind === "viewer") return all.filter((c) => who.cameras.includes(c));
  return all.filter((c) => c === who.share.camera);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
