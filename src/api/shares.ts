import { vValidator } from "@hono/valibot-validator";
import type { Context } from "hono";
import { Hono } from "hono";
import { html } from "hono/html";
import {
  giveBackShareUse,
  insertShare,
  listShares,
  revokeShare,
  type ShareRow,
  shareById,
  shareSecret,
  takeShareUse,
} from "../db/shares.ts";
import { shareReaches } from "../people/access.ts";
import { linkHolds, linkId, shareGone, shareLink, shareStatus } from "../people/share-links.ts";
import { whoOf } from "./access.ts";
import { clientAddress } from "./auth.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { NewShareBody, ShareIdParam } from "./schemas.ts";
import { knownCameras } from "../db/totals.ts";

// Share links (docs/security.md#share-links): an admin makes, lists and revokes them under
// /api/shares; anyone holding one opens /share/<link>/ — a small player page, the span's clip
// and its playlist — with no account and no header, for as long as the link holds.

const now = () => Date.now() / 1000;

/** The links of a share, absolute (from the address the request came to). */
function described(c: Context, secret: Uint8Array, row: ShareRow) {
  const base = `${new URL(c.req.url).origin}/share/${shareLink(secret, row)}/`;
  const camera = `${base}cameras/${encodeURIComponent(row.camera)}`;
  return {
    ...row,
    status: shareStatus(row, now()),
    url: base,
    clip_url: `${camera}/clip.mp4`,
    playlist_url: `${camera}/vod.m3u8`,
  };
}

/** POST/GET /api/shares, DELETE /api/shares/:id (an admin's). */
export function shareRoutes(deps: Pick<ApiDeps, "db" | "config" | "totals">) {
  const { db } = deps;
  return new Hono()
    .get("/", (c) => {
      const secret = shareSecret(db);
      return c.json(listShares(db).map((row) => described(c, secret, row)));
    })
    .post("/", vValidator("json", NewShareBody, onInvalid), (c) => {
      const body = c.req.valid("json");
      if (!knownCameras(deps).includes(body.camera))
        return apiError(c, 404, "invalid request", { camera: `no camera ${body.camera}` });
      const at = now();
      const row = {
        id: Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex"),
        camera: body.camera,
        start: body.start,
        end: body.end,
        kind: body.kind,
        note: body.note,
        created_by: whoOf(c).name,
        created_at: at,
        expires_at: Math.round(at + body.days * 86_400),
        max_uses: body.uses ?? null,
      };
      insertShare(db, row);
      return c.json(described(c, shareSecret(db), { ...row, uses: 0, revoked_at: null }), 201);
    })
    .delete("/:id", vValidator("param", ShareIdParam, onInvalid), (c) =>
      revokeShare(db, c.req.valid("param").id, now()) ? c.body(null, 204) : apiError(c, 404, "no such share"),
    );
}

/** Hands a request on to the API under a share's grant (the API's own fetch, with the grant in its env). */
export type Dispatch = (req: Request, env: object) => Response | Promise<Response>;

/** The request headers a share's request hands on: what ranges, caching and the host checks read. */
const PASSED = ["host", "range", "if-range", "if-none-match", "if-modified-since", "user-agent"];

/** GET /share/<link>/ (the page), /share/<link>/<what the API serves under the grant>. */
export function publicShareRoutes({ db, audit }: Pick<ApiDeps, "db" | "audit">, dispatch: Dispatch) {
  /** The share a link names if the link is exactly its link; else the request is answered 403. */
  function open(c: Context): ShareRow | Response {
    const link = c.req.param("link") ?? "";
    const id = linkId(link);
    const row = id === undefined ? undefined : shareById(db, id);
    if (!row || !linkHolds(shareSecret(db), link, row)) {
      audit.record({
        actor: "unknown",
        address: clientAddress(c),
        action: "share refused",
        detail: { reason: "not a link of this box (altered or made up)" },
      });
      return apiError(c, 403, "this link is not valid: it was altered, or it is not a link of this camkeep");
    }
    return row;
  }
  function gone(c: Context, row: ShareRow, reason: string) {
    audit.record({
      actor: `share ${row.id}`,
      address: clientAddress(c),
      action: "share refused",
      detail: { share: row.id, reason },
    });
    return apiError(c, 410, reason);
  }
  return new Hono()
    .get("/:link", (c) => c.redirect(`/share/${encodeURIComponent(c.req.param("link"))}/`, 301))
    .get("/:link/", (c) => {
      const row = open(c);
      if (row instanceof Response) return row;
      const reason = shareGone(row, now(), false);
      if (reason) return gone(c, row, reason);
      c.header("cache-control", "no-store");
      return c.html(sharePage(row));
    })
    .on(["GET", "HEAD"], "/:link/*", async (c) => {
      const row = open(c);
      if (row instanceof Response) return row;
      const reason = shareGone(row, now(), false);
      if (reason) return gone(c, row, reason);
      const rest = `/api${c.req.path.slice(`/share/${c.req.param("link")}`.length)}`;
      const reaches = shareReaches(rest);
      if (!reaches) return apiError(c, 404, "not found");
      // The clip and the playlist are of the share's span, whatever the link's query says (a
      // signed clip may be asked for); each download of one whole is a use.
      let query = new URL(c.req.url).search;
      const range = c.req.header("range");
      const use = reaches === "counted" && c.req.method === "GET" && (!range || /^bytes=0-/.test(range));
      if (reaches === "counted") {
        query = `?start=${row.start}&end=${row.end}${c.req.query("signed") === "1" ? "&signed=1" : ""}`;
        if (use && !takeShareUse(db, row.id, now()))
          return gone(c, row, shareGone(shareById(db, row.id)!, now(), true) ?? "this link was used up");
      }
      const headers = new Headers();
      for (const name of PASSED) {
        const value = c.req.header(name);
        if (value !== undefined) headers.set(name, value);
      }
      const inner = new Request(new URL(`${rest}${query}`, c.req.url), { method: c.req.method, headers });
      const grant = { id: row.id, camera: row.camera, start: row.start, end: row.end };
      const res = await dispatch(inner, { ...(c.env as object), share: grant });
      if (use && res.status >= 400) giveBackShareUse(db, row.id);
      return res;
    });
}

const when = (t: number) => `${new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** The page a share link opens: the clip in a player, a download, the playlist for VLC. No script. */
function sharePage(row: ShareRow) {
  const clip = `cameras/${encodeURIComponent(row.camera)}/clip.mp4`;
  const playlist = `cameras/${encodeURIComponent(row.camera)}/vod.m3u8`;
  const left = row.max_uses === null ? "" : ` · ${row.max_uses - row.uses} of ${row.max_uses} downloads left`;
  // (preload none: a visit that does not play takes no use)
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${row.camera}: ${when(row.start)}</title>
    <link rel="stylesheet" href="/share.css" />
  </head>
  <body>
    <main>
      <h1>${row.camera}</h1>
      <p>${when(row.start)} – ${when(row.end)}</p>
      ${row.note ? html`<p class="note">${row.note}</p>` : ""}
      <video controls playsinline preload="none" src="${clip}"></video>
      <p>
        <a href="${clip}" download>Download the clip (MP4)</a> ·
        <a href="${clip}?signed=1" download>signed</a> ·
        <a href="${playlist}">playlist (VLC, mpv)</a>
      </p>
      <p class="small">This link works until ${when(row.expires_at)}${left}.</p>
    </main>
  </body>
</html>`;
}

/** The share page's few styles (the page's policy allows no inline style). */
export const SHARE_CSS = `body{font:16px/1.4 system-ui,sans-serif;margin:0;background:#111;color:#eee}
main{max-width:60rem;margin:0 auto;padding:1rem}video{width:100%;background:#000}
a{color:#8cf}.small{font-size:.85em;color:#aaa}.note{white-space:pre-wrap}`;
