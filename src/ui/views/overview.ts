import { h, app } from "../dom.ts";
import { api, type CamerasView, type CameraStatus, type Status } from "../api.ts";
import { shareList } from "../parts/share-list.ts";
import { age, bytes, span } from "../time.ts";
import { header } from "../parts/header.ts";

// The overview: each camera with its state; for an admin, the storage gauge and tiers, the health
// reasons and the share links.
export function cameraState(c: CameraStatus): { label: string; tone: string } {
  if (!c.configured) return { label: "removed", tone: "muted" };
  if (!c.recording) return { label: "disabled", tone: "muted" };
  if (c.recorder?.stalled) return { label: "stalled", tone: "bad" };
  if (c.recorder?.state === "recording" || (c.last_segment_age_s ?? Infinity) < 300)
    return { label: "recording", tone: "good" };
  return { label: "no recent footage", tone: "warn" };
}

/** The overview of `view`'s cameras; with the status (an admin's), the storage, tiers, reasons and share links too. */
export function renderOverview(view: CamerasView, status?: Status): void {
  const cameras = view.cameras;
  const names = Object.keys(cameras);
  const cams = names.map((name) => cameraCard(name, cameras[name]!));
  // A viewer's cameras in groups, a site each (docs/archive.md#viewer-mode); a keeper's in one.
  const sites = names.length ? [...new Set(names.map((n) => cameras[n]!.site))] : [null];
  const groups = sites.flatMap((site) => [
    h("h2", site === null ? {} : { "data-site": site }, site === null ? "Cameras" : `Site ${site}`),
    h("ul.cameras", {}, ...cams.filter((_, i) => cameras[names[i]!]!.site === site)),
  ]);
  const shares = status ? shareList() : null;
  app.replaceChildren(
    header(view),
    h("main", {}, status ? reasons(status) : null, ...groups, status ? storage(status) : null, shares),
  );
}

function reasons(status: Status): HTMLElement | null {
  return status.health.reasons.length
    ? h(
        "section.reasons",
        { role: "alert" },
        h("h2", {}, "Needs attention"),
        h("ul", {}, ...status.health.reasons.map((r) => h("li", {}, r))),
      )
    : null;
}

function storage(status: Status): HTMLElement {
  const s = status.storage;
  const used = s.volume_total_bytes - s.volume_free_bytes;
  const pct = (n: number) => `${((n / Math.max(1, s.volume_total_bytes)) * 100).toFixed(1)}%`;
  return h(
    "section.storage",
    { "aria-label": "storage" },
    h("h2", {}, "Storage"),
    h(
      "div.gauge",
      {
        role: "img",
        "aria-label": `${bytes(used)} used of ${bytes(s.volume_total_bytes)}, ${bytes(s.volume_free_bytes)} free`,
      },
      h("div.used", { style: `width:${pct(used)}` }),
      h("div.floor", {
        style: `left:${pct(s.volume_total_bytes - s.min_free_bytes)}`,
        title: "free space camkeep keeps",
      }),
    ),
    h(
      "p",
      {},
      `${bytes(used)} used (footage: ${bytes(s.bytes_kept)}) · ${bytes(s.volume_free_bytes)} free · keeps ${bytes(s.min_free_bytes)} free`,
    ),
    daysHeld(s.forecast),
    status.tiers.length
      ? h(
          "ul.tiers",
          {},
          ...status.tiers.map((t) =>
            h(
              "li",
              { "data-tier": t.name },
              `${t.name} (${t.role === "copy" ? "copy of everything" : `footage older than ${span(t.after_s ?? 0)}`}): ${t.pending} waiting` +
                `${t.oldest_pending_age_s === null ? "" : `, the oldest for ${span(t.oldest_pending_age_s)}`} · ${bytes(t.bytes_moved)} sent since start` +
                (t.forecast.days_until_full.last_week === null
                  ? ""
                  : ` · ${bytes(t.forecast.free_bytes ?? 0)} free, full in ${t.forecast.days_until_full.last_week.toFixed(0)} days`),
              t.failing_since !== null || t.problem
                ? h("p.warn", { role: "status" }, t.problem ?? t.last_error ?? "failing")
                : null,
            ),
          ),
        )
      : null,
  );
}

function cameraCard(name: string, c: CameraStatus): HTMLElement {
  const state = cameraState(c);
  // The newest stored footage's picture, made once per new segment at most once a minute.
  const still =
    c.last_segment_start === null
      ? null
      : h("img.still", {
          src: api.stillUrl(name, c.last_segment_start),
          alt: `${name}: latest picture`,
          loading: "lazy",
          width: 320,
          height: 180,
        });
  return h(
    "li.camera",
    { "data-camera": name },
    still,
    h(
      "a",
      { href: `#/camera/${encodeURIComponent(name)}` },
      h("span.name", {}, name),
      h(`span.badge.${state.tone}`, {}, state.label),
    ),
    h(
      "p",
      {},
      `last segment ${age(c.last_segment_age_s)} · ${c.hours_kept.toFixed(1)} h, ${bytes(c.bytes_kept)} kept${c.quota_bytes === null ? "" : ` of ${bytes(c.quota_bytes)}`}`,
    ),
    c.forecast ? dailyChart(name, c.forecast.daily) : null,
    c.forecast?.rules.length ? retention(c.forecast.rules) : null,
    c.onvif
      ? h(
          `p.onvif${c.onvif.state === "live" ? "" : ".warn"}`,
          { "data-onvif": c.onvif.state },
          c.onvif.state === "live"
            ? `the camera's own events heard${c.onvif.last_message_at === null ? "" : ` (last ${age(Math.round(Date.now() / 1000 - c.onvif.last_message_at))})`}`
            : `the camera's own events not heard: ${c.onvif.reason ?? "connecting"} — its footage is kept unjudged`,
        )
      : null,
    c.quota_held_over_bytes > 0
      ? h(
          "p.warn",
          { role: "status" },
          `${bytes(c.quota_held_over_bytes)} over its quota, kept forever by events`,
        )
      : null,
  );
}

type Forecast = Status["storage"]["forecast"];

/** How many days the storage holds at the measured rate, and how sure that is (docs/storage.md#days-left). */
function daysHeld(f: Forecast): HTMLElement | null {
  const days = f.days_held.last_week;
  if (days === null || f.bytes_per_day.last_week === null) return null;
  return h(
    "p.forecast",
    { "data-days-held": days },
    `at ${bytes(f.bytes_per_day.last_week)} a day, it holds ${days.toFixed(0)} days of footage` +
      ` (measured over ${f.history_days.toFixed(1)} day${f.history_days === 1 ? "" : "s"}${f.history_days < 7 ? ": a first guess" : ""})`,
  );
}

/** Each retention rule and when it starts deleting (docs/storage.md#days-left). */
function retention(rules: { rule: string; days: number; bites_in_days: number }[]): HTMLElement {
  return h(
    "p.rules",
    {},
    rules
      .map(
        (r) =>
          `${r.rule} ${r.days} d (${r.bites_in_days === 0 ? "deleting" : `deletes from in ${r.bites_in_days.toFixed(0)} d`})`,
      )
      .join(" · "),
  );
}

const SVG = "http://www.w3.org/2000/svg";

/** Bytes stored per day over the last 30 days: a bar a day, drawn (no chart library). */
function dailyChart(camera: string, daily: { day: string; bytes: number }[]): SVGSVGElement {
  const max = Math.max(1, ...daily.map((d) => d.bytes));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "daily");
  svg.setAttribute("viewBox", `0 0 ${daily.length * 4} 24`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${camera}: bytes stored a day, the last ${daily.length} days`);
  for (const [i, d] of daily.entries()) {
    const bar = document.createElementNS(SVG, "rect");
    const height = (d.bytes / max) * 24;
    for (const [k, v] of Object.entries({ x: i * 4, y: 24 - height, width: 3, height }))
      bar.setAttribute(k, String(v));
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${d.day}: ${bytes(d.bytes)}`;
    bar.append(title);
    svg.append(bar);
  }
  return svg;
}
