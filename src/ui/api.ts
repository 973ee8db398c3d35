/** The API as the page uses it: same origin, the session cookie carries the token. */

export interface CameraStatus {
  configured: boolean;
  recording: boolean;
  recorder: { state: string; stalled: boolean } | null;
  last_segment_start: number | null;
  last_segment_age_s: number | null;
  segments_kept: number;
  bytes_kept: number;
  hours_kept: number;
}

export interface Status {
  version: string;
  health: { status: "ok" | "unhealthy"; reasons: string[] };
  cameras: Record<string, CameraStatus>;
  storage: { bytes_kept: number; volume_total_bytes: number; volume_free_bytes: number; min_free_bytes: number };
}

export interface Recording {
  id: string;
  start_time: number;
  end_time: number;
  motion: number;
  objects: number;
}

export interface CamEvent {
  id: string;
  label: string;
  start_time: number;
  end_time: number | null;
  retain_indefinitely: boolean;
}

export class Unauthorized extends Error {}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, credentials: "same-origin" });
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

export const api = {
  login: (token: string) => call<void>("/api/login", json("POST", { token })),
  logout: () => call<void>("/api/logout", { method: "POST" }),
  status: () => call<Status>("/api/status"),
  days: (camera: string, zone: string) =>
    call<{ day: string }[]>(`/api/cameras/${encodeURIComponent(camera)}/recordings/summary?timezone=${encodeURIComponent(zone)}`),
  recordings: (camera: string, after: number, before: number) =>
    call<Recording[]>(`/api/cameras/${encodeURIComponent(camera)}/recordings?after=${after}&before=${before}`),
  events: (camera: string, after: number, before: number) =>
    call<CamEvent[]>(`/api/events?camera=${encodeURIComponent(camera)}&after=${after}&before=${before}`),
  keepForever: (id: string, keep: boolean) => call<CamEvent>(`/api/events/${encodeURIComponent(id)}`, json("PATCH", { retain_indefinitely: keep })),
  fileUrl: (id: string) => `/api/recordings/${encodeURIComponent(id)}/file`,
  clipUrl: (camera: string, start: number, end: number) =>
    `/api/cameras/${encodeURIComponent(camera)}/clip.mp4?start=${Math.floor(start)}&end=${Math.ceil(end)}`,
};
