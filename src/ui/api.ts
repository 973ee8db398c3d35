import { hc, type ClientResponse, type InferResponseType } from "hono/client";
import type { SuccessStatusCode } from "hono/utils/http-status";
import type { CamkeepApi } from "../api/app.ts";

/**
 * The API as the page uses it: Hono's client, typed from the server's routes (CamkeepApi), so
 * that a changed route breaks the build, not the page. Same origin; the session cookie
 * carries the login.
 */
const client = hc<CamkeepApi>(location.origin, { init: { credentials: "same-origin" } });

export type Status = InferResponseType<typeof client.api.status.$get, 200>;
/** Who is logged in and the cameras they see (GET /api/cameras): what every view is built from. */
export type CamerasView = InferResponseType<typeof client.api.cameras.$get, 200>;
export type CameraStatus = CamerasView["cameras"][string];
export type Share = InferResponseType<typeof client.api.shares.$get, 200>[number];
export type Recording = InferResponseType<
  (typeof client.api.cameras)[":camera"]["recordings"]["$get"],
  200
>[number];
export type Bucket = InferResponseType<
  (typeof client.api.cameras)[":camera"]["recordings"]["buckets"]["$get"],
  200
>[number];
export type CamEvent = InferResponseType<typeof client.api.events.$get, 200>[number];

export class Unauthorized extends Error {}

/** The body of a successful answer; 401 throws Unauthorized, any other failure an Error. */
type Success<R> =
  R extends ClientResponse<infer T, infer S, infer _F> ? (S extends SuccessStatusCode ? T : never) : never;

async function call<R extends ClientResponse<unknown, number, string>>(
  request: Promise<R>,
): Promise<Success<R>> {
  const res = await request;
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok)
    throw new Error(`${new URL(res.url).pathname}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (res.status === 204 ? undefined : await res.json()) as Success<R>;
}

const path = (url: URL) => `${url.pathname}${url.search}`;

export const api = {
  login: (token: string) => call(client.api.login.$post({ json: { token } })),
  loginAs: (name: string, password: string) => call(client.api.login.$post({ json: { name, password } })),
  logout: () => call(client.api.logout.$post()),
  cameras: () => call(client.api.cameras.$get()),
  status: () => call(client.api.status.$get()),
  shares: () => call(client.api.shares.$get()),
  /** A share link of the span (docs/security.md#share-links), for `days`, `uses` times at most. */
  share: (span: { camera: string; start: number; end: number }, days: number, uses?: number) =>
    call(client.api.shares.$post({ json: { ...span, days, uses } })),
  revokeShare: (id: string) => call(client.api.shares[":id"].$delete({ param: { id } })),
  days: (camera: string, timezone: string) =>
    call(client.api.cameras[":camera"].recordings.summary.$get({ param: { camera }, query: { timezone } })),
  buckets: (camera: string, after: number, before: number) =>
    call(
      client.api.cameras[":camera"].recordings.buckets.$get({
        param: { camera },
        query: { after: String(after), before: String(before) },
      }),
    ),
  recordings: (camera: string, after: number, before: number, limit?: number) =>
    call(
      client.api.cameras[":camera"].recordings.$get({
        param: { camera },
        query: { after: String(after), before: String(before), limit: limit ? String(limit) : undefined },
      }),
    ),
  motion: (camera: string, after: number, before: number) =>
    call(
      client.api.cameras[":camera"].motion.$get({
        param: { camera },
        query: { after: String(after), before: String(before) },
      }),
    ),
  playlistUrl: (camera: string, start: number, end: number, keys: boolean) =>
    path(
      client.api.cameras[":camera"]["vod.m3u8"].$url({
        param: { camera },
        query: { start: start.toFixed(3), end: end.toFixed(3), keys: keys ? "1" : undefined },
      }),
    ),
  previewUrl: (camera: string, t: number) =>
    path(
      client.api.cameras[":camera"]["preview.jpg"].$url({
        param: { camera },
        query: { t: String(Math.floor(t)) },
      }),
    ),
  events: (camera: string, after: number, before: number) =>
    call(client.api.events.$get({ query: { camera, after: String(after), before: String(before) } })),
  cases: () => call(client.api.cases.$get()),
  /** A new case holding one span. */
  openCase: (title: string, span: { camera: string; start: number; end: number }) =>
    call(client.api.cases.$post({ json: { title, spans: [span] } })),
  addToCase: (id: string, span: { camera: string; start: number; end: number }) =>
    call(client.api.cases[":id"].$patch({ param: { id }, json: { add_spans: [span] } })),
  keepForever: (id: string, keep: boolean) =>
    call(client.api.events[":id"].$patch({ param: { id }, json: { retain_indefinitely: keep } })),
  fileUrl: (id: string) => path(client.api.recordings[":id"].file.$url({ param: { id } })),
  /** `newest` changes the address when new footage is stored, so the browser asks again. */
  stillUrl: (camera: string, newest: number) =>
    path(
      client.api.cameras[":camera"]["still.jpg"].$url({ param: { camera }, query: { v: String(newest) } }),
    ),
  /** A time-lapse of the span lasting `duration` seconds (docs/api.md#time-lapse). */
  timelapseUrl: (camera: string, start: number, end: number, duration: number) =>
    path(
      client.api.cameras[":camera"]["timelapse.mp4"].$url({
        param: { camera },
        query: {
          start: String(Math.floor(start)),
          end: String(Math.ceil(end)),
          duration: String(Math.round(duration)),
        },
      }),
    ),
  /** `signed`: in the ONVIF Export File Format, signed by the box (docs/evidence.md). */
  clipUrl: (camera: string, start: number, end: number, signed = false) =>
    path(
      client.api.cameras[":camera"]["clip.mp4"].$url({
        param: { camera },
        query: {
          start: String(Math.floor(start)),
          end: String(Math.ceil(end)),
          ...(signed ? { signed: "1" as const } : {}),
        },
      }),
    ),
};
