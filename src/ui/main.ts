import { api, Unauthorized, type Bucket, type CamEvent, type CameraStatus, type Recording, type Status } from "./api.ts";
import { age, BUCKET_SECONDS, bucketSpans, bytes, clock, dayBounds, fraction, fromInput, hourMarks, localDay, motionPerMinute, span, toInput } from "./time.ts";

/**
 * camkeep's page: an overview of cameras and storage, and per camera a day timeline to play
 * and export from. Plain DOM, no framework; routes live in the URL fragment.
 */

const app = document.getElementById("app")!;
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Builds an element: h("a.card", { href }, child, …). */
function h<K extends keyof HTMLElementTagNameMap>(spec: K | `${K}.${string}`, attrs: Record<string, string | boolean | number | undefined> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const [tag, ...classes] = spec.split(".") as [K, ...string[]];
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    // Styles through the CSSOM: the page's CSP forbids style attributes, not this.
    if (k === "style") el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function cameraState(c: CameraStatus): { label: string; tone: string } {
  if (!c.configured) return { label: "removed", tone: "muted" };
  if (!c.recording) return { label: "disabled", tone: "muted" };
  if (c.recorder?.stalled) return { label: "stalled", tone: "bad" };
  if (c.recorder?.state === "recording" || (c.last_segment_age_s ?? Infinity) < 300) return { label: "recording", tone: "good" };
  return { label: "no recent footage", tone: "warn" };
}

function header(status?: Status): HTMLElement {
  const healthy = status?.health.status === "ok";
  const logout = h("button.link", { type: "button" }, "Log out");
  logout.addEventListener("click", async () => {
    await api.logout();
    location.hash = "#/";
    route();
  });
  return h("header",
    {},
    h("a.brand", { href: "#/" }, "camkeep"),
    status ? h(`span.badge.${healthy ? "good" : "bad"}`, { "data-health": status.health.status }, healthy ? "healthy" : "unhealthy") : null,
    status ? logout : null,
  );
}

function renderLogin(message?: string): void {
  const input = h("input", { id: "token", type: "password", autocomplete: "current-password", required: true, "aria-describedby": "token-help" });
  const form = h("form.login", {},
    h("h1", {}, "camkeep"),
    h("label", { for: "token" }, "API token"),
    input,
    h("p.help", { id: "token-help" }, "It is in the file named by api.token_file (default data/api-token), and in camkeep's start-up log."),
    message ? h("p.error", { role: "alert" }, message) : null,
    h("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.login(input.value.trim());
      route();
    } catch {
      renderLogin("That token is not right.");
    }
  });
  app.replaceChildren(form);
  input.focus();
}

function renderOverview(status: Status): void {
  const s = status.storage;
  const used = s.volume_total_bytes - s.volume_free_bytes;
  const pct = (n: number) => `${((n / Math.max(1, s.volume_total_bytes)) * 100).toFixed(1)}%`;
  const gauge = h("section.storage", { "aria-label": "storage" },
    h("h2", {}, "Storage"),
    h("div.gauge", { role: "img", "aria-label": `${bytes(used)} used of ${bytes(s.volume_total_bytes)}, ${bytes(s.volume_free_bytes)} free` },
      h("div.used", { style: `width:${pct(used)}` }),
      h("div.floor", { style: `left:${pct(s.volume_total_bytes - s.min_free_bytes)}`, title: "free space camkeep keeps" }),
    ),
    h("p", {}, `${bytes(used)} used (footage: ${bytes(s.bytes_kept)}) · ${bytes(s.volume_free_bytes)} free · keeps ${bytes(s.min_free_bytes)} free`),
    status.tiers.length ? h("ul.tiers", {}, ...status.tiers.map((t) => h("li", { "data-tier": t.name },
      `${t.name} (${t.role === "copy" ? "copy of everything" : `footage older than ${span(t.after_s ?? 0)}`}): ${t.pending} waiting`
        + `${t.oldest_pending_age_s === null ? "" : `, the oldest for ${span(t.oldest_pending_age_s)}`} · ${bytes(t.bytes_moved)} sent since start`,
      t.failing_since !== null || t.problem ? h("p.warn", { role: "status" }, t.problem ?? t.last_error ?? "failing") : null,
    ))) : null,
  );
  const reasons = status.health.reasons.length
    ? h("section.reasons", { role: "alert" }, h("h2", {}, "Needs attention"), h("ul", {}, ...status.health.reasons.map((r) => h("li", {}, r))))
    : null;
  const cams = Object.entries(status.cameras).map(([name, c]) => {
    const state = cameraState(c);
    // The newest stored footage's picture, made once per new segment at most once a minute.
    const still = c.last_segment_start === null ? null : h("img.still", { src: api.stillUrl(name, c.last_segment_start), alt: `${name}: latest picture`, loading: "lazy", width: 320, height: 180 });
    return h("li.camera", { "data-camera": name },
      still,
      h("a", { href: `#/camera/${encodeURIComponent(name)}` },
        h("span.name", {}, name),
        h(`span.badge.${state.tone}`, {}, state.label),
      ),
      h("p", {}, `last segment ${age(c.last_segment_age_s)} · ${c.hours_kept.toFixed(1)} h, ${bytes(c.bytes_kept)} kept${c.quota_bytes === null ? "" : ` of ${bytes(c.quota_bytes)}`}`),
      c.quota_held_over_bytes > 0 ? h("p.warn", { role: "status" }, `${bytes(c.quota_held_over_bytes)} over its quota, kept forever by events`) : null,
    );
  });
  app.replaceChildren(header(status), h("main", {}, reasons, h("h2", {}, "Cameras"), h("ul.cameras", {}, ...cams), gauge));
}

async function renderCamera(status: Status, camera: string, requestedDay?: string): Promise<void> {
  const days = (await api.days(camera, zone)).map((d) => d.day);
  const day = requestedDay && days.includes(requestedDay) ? requestedDay : days.at(-1);
  const back = h("a", { href: "#/" }, "← all cameras");
  if (!day) {
    app.replaceChildren(header(status), h("main", {}, back, h("h1", {}, camera), h("p", {}, "No footage stored yet.")));
    return;
  }
  const bounds = dayBounds(day);
  // The day from its quarter-hour rollups; segments only for the hour being played.
  const [buckets, events] = await Promise.all([api.buckets(camera, bounds.start, bounds.end), api.events(camera, bounds.start, bounds.end)]);

  const picker = h("select", { id: "day", "aria-label": "day" }, ...days.map((d) => h("option", { value: d, selected: d === day }, d)));
  picker.addEventListener("change", () => (location.hash = `#/camera/${encodeURIComponent(camera)}/${picker.value}`));
  const step = (by: number) => {
    const next = days[days.indexOf(day) + by];
    const b = h("button", { type: "button", disabled: !next, "aria-label": by < 0 ? "previous day" : "next day" }, by < 0 ? "‹" : "›");
    b.addEventListener("click", () => next && (location.hash = `#/camera/${encodeURIComponent(camera)}/${next}`));
    return b;
  };

  const player = new Player(camera, bounds);
  const timeline = new Timeline(bounds, buckets, events, player);
  const exporter = exportPanel(camera, bounds, timeline);
  app.replaceChildren(
    header(status),
    h("main", {},
      back,
      h("h1", {}, camera),
      h("div.daynav", {}, step(-1), picker, step(1), h("span.zone", {}, zone)),
      timeline.el,
      player.el,
      exporter,
      eventList(events),
    ),
  );
}

/**
 * Plays the day's footage one segment after another from any moment. It loads the segments
 * of an hour at a time, the hour being played, and the next hour when it gets there.
 */
class Player {
  readonly video = h("video", { controls: true, playsinline: true, preload: "metadata", muted: true });
  readonly label = h("p.now", { "aria-live": "polite" }, "Click the timeline to play.");
  readonly el = h("section.player", {}, this.video, this.label);
  private segments: Recording[] = [];
  private index = -1;
  onTime: (t: number) => void = () => {};
  /** Called with the segments of each hour loaded (the timeline shows their motion minute by minute). */
  onSegments: (segments: Recording[]) => void = () => {};

  constructor(
    private readonly camera: string,
    private readonly day: { start: number; end: number },
  ) {
    this.video.muted = true; // autoplay works everywhere when muted; the controls unmute
    this.video.addEventListener("ended", () => void this.next());
    this.video.addEventListener("timeupdate", () => {
      const seg = this.segments[this.index];
      if (!seg) return;
      const t = seg.start_time + this.video.currentTime;
      this.label.textContent = `${this.camera} · ${clock(t)}`;
      this.onTime(t);
    });
  }

  async playAt(t: number): Promise<void> {
    const from = Math.max(this.day.start, t);
    this.segments = await this.hourFrom(from);
    const i = this.segments.findIndex((s) => s.end_time > t);
    if (i < 0) return void (this.label.textContent = "No footage after that moment on this day.");
    this.load(i, Math.max(0, t - this.segments[i]!.start_time));
  }

  /** The segments from `t` to the end of its hour (or, with none there, of the next hours that have some). */
  private async hourFrom(t: number): Promise<Recording[]> {
    for (let from = t; from < this.day.end; from = Math.floor(from / 3600) * 3600 + 3600) {
      const until = Math.min(this.day.end, Math.floor(from / 3600) * 3600 + 3600);
      const found = (await api.recordings(this.camera, from, until)).filter((s) => s.end_time > from);
      if (found.length) {
        this.onSegments(found);
        return found;
      }
    }
    return [];
  }

  private async next(): Promise<void> {
    if (this.index + 1 < this.segments.length) return this.load(this.index + 1, 0);
    const last = this.segments[this.index];
    const more = last ? (await this.hourFrom(last.end_time)).filter((s) => s.start_time >= last.start_time + 0.001) : [];
    if (!more.length) return void (this.label.textContent = "End of the day's footage.");
    this.segments = more;
    this.load(0, 0);
  }

  private load(i: number, offset: number): void {
    const seg = this.segments[i]!;
    this.index = i;
    this.video.dataset.recording = seg.id;
    this.video.src = api.fileUrl(seg.id);
    this.video.addEventListener("loadedmetadata", () => {
      if (offset > 0) this.video.currentTime = offset;
      void this.video.play().catch(() => {});
    }, { once: true });
  }
}

/** The day as a bar: recorded spans, motion, events; click to play, drag to select. */
class Timeline {
  readonly el: HTMLElement;
  private readonly track = h("div.track", {});
  private readonly playhead = h("div.playhead", { hidden: true });
  private readonly selection = h("div.selection", { hidden: true });
  private cursor: number;
  onSelect: (start: number, end: number) => void = () => {};

  constructor(
    private readonly day: { start: number; end: number },
    buckets: Bucket[],
    events: CamEvent[],
    player: Player,
  ) {
    const at = (t: number) => `${(fraction(day, t) * 100).toFixed(3)}%`;
    const width = (a: number, b: number) => `${((fraction(day, b) - fraction(day, a)) * 100).toFixed(3)}%`;
    this.at = at;
    this.width = width;
    for (const s of bucketSpans(buckets)) {
      this.track.append(h("div.span", { style: `left:${at(s.start)};width:${width(s.start, s.end)}`, "data-start": s.start, "data-end": s.end, title: `${clock(s.start)}–${clock(s.end)}` }));
    }
    // Motion per quarter hour (the rollups), taller and darker where more moved; the hour being
    // played shows it minute by minute once its segments are loaded.
    const peak = Math.max(0, ...buckets.map((b) => b.motion));
    for (const b of buckets) {
      if (b.motion > 0) this.track.append(this.motionMark("quarter", b.bucket, BUCKET_SECONDS, b.motion / peak));
    }
    player.onSegments = (segments) => {
      for (const old of this.track.querySelectorAll(".motion.minute")) old.remove();
      for (const m of motionPerMinute(segments)) this.track.append(this.motionMark("minute", m.minute, 60, m.intensity));
    };
    for (const e of events) {
      const end = e.end_time ?? Math.min(day.end, Date.now() / 1000);
      this.track.append(h(`div.event${e.retain_indefinitely ? ".kept" : ""}`, {
        style: `left:${at(e.start_time)};width:max(3px,${width(e.start_time, end)})`, title: `${e.label} ${clock(e.start_time)}${e.retain_indefinitely ? " ★ kept forever" : ""}`, "data-event": e.id,
      }, h("span", {}, `${e.label}${e.retain_indefinitely ? " ★" : ""}`)));
    }
    const ticks = h("div.ticks", { "aria-hidden": "true" }, ...hourMarks(localDay(day.start)).map((m) => h("span", { style: `left:${at(m.t)}` }, m.label)));
    this.track.append(this.selection, this.playhead);
    this.cursor = buckets[0]?.bucket ?? day.start;
    this.el = h("section.timeline", {
      tabindex: 0, role: "slider", "aria-label": "timeline: arrows move, Enter plays",
      "aria-valuemin": day.start, "aria-valuemax": day.end, "aria-valuenow": this.cursor, "aria-valuetext": clock(this.cursor),
    }, this.track, ticks);
    player.onTime = (t) => this.showPlayhead(t);
    this.listen(player);
  }

  private readonly at: (t: number) => string;
  private readonly width: (a: number, b: number) => string;

  private motionMark(kind: "quarter" | "minute", start: number, seconds: number, intensity: number): HTMLElement {
    return h(`div.motion.${kind}`, {
      style: `left:${this.at(start)};width:max(1px,${this.width(start, start + seconds)});opacity:${(0.3 + 0.7 * intensity).toFixed(2)};height:${(5 + 15 * intensity).toFixed(1)}%`,
      [`data-${kind}`]: start, title: `motion ${clock(start)}`,
    });
  }

  private timeAt(clientX: number): number {
    const r = this.track.getBoundingClientRect();
    return this.day.start + ((clientX - r.left) / r.width) * (this.day.end - this.day.start);
  }

  private showPlayhead(t: number): void {
    this.playhead.hidden = false;
    this.playhead.style.left = `${(fraction(this.day, t) * 100).toFixed(3)}%`;
    this.el.setAttribute("aria-valuenow", String(Math.round(t)));
    this.el.setAttribute("aria-valuetext", clock(t));
  }

  showSelection(start: number, end: number): void {
    this.selection.hidden = false;
    this.selection.style.left = `${(fraction(this.day, start) * 100).toFixed(3)}%`;
    this.selection.style.width = `${((fraction(this.day, end) - fraction(this.day, start)) * 100).toFixed(3)}%`;
  }

  private listen(player: Player): void {
    let down: { x: number; t: number } | undefined;
    this.track.addEventListener("pointerdown", (e) => {
      down = { x: e.clientX, t: this.timeAt(e.clientX) };
      this.track.setPointerCapture(e.pointerId);
    });
    this.track.addEventListener("pointermove", (e) => {
      if (down && Math.abs(e.clientX - down.x) > 4) {
        const t = this.timeAt(e.clientX);
        this.showSelection(Math.min(down.t, t), Math.max(down.t, t));
      }
    });
    this.track.addEventListener("pointerup", (e) => {
      if (!down) return;
      const t = this.timeAt(e.clientX);
      if (Math.abs(e.clientX - down.x) <= 4) void player.playAt(t);
      else this.onSelect(Math.min(down.t, t), Math.max(down.t, t));
      down = undefined;
    });
    this.el.addEventListener("keydown", (e) => {
      const by = { ArrowLeft: -60, ArrowRight: 60, PageUp: -3600, PageDown: 3600 }[e.key];
      if (by) {
        this.cursor = Math.min(this.day.end, Math.max(this.day.start, this.cursor + by));
        this.showPlayhead(this.cursor);
        e.preventDefault();
      } else if (e.key === "Enter" || e.key === " ") {
        void player.playAt(this.cursor);
        e.preventDefault();
      }
    });
  }
}

function exportPanel(camera: string, day: { start: number; end: number }, timeline: Timeline): HTMLElement {
  const start = h("input", { id: "clip-start", type: "datetime-local", step: 1 });
  const end = h("input", { id: "clip-end", type: "datetime-local", step: 1 });
  const link = h("a.button", { id: "clip-download", download: true, "aria-disabled": "true" }, "Download clip");
  const note = h("p.help", {}, "Drag across the timeline, or type the times.");
  const update = () => {
    const a = fromInput(start.value);
    const b = fromInput(end.value);
    const ok = Number.isFinite(a) && Number.isFinite(b) && b > a;
    link.setAttribute("aria-disabled", String(!ok));
    if (ok) link.href = api.clipUrl(camera, a, b);
    else link.removeAttribute("href");
    note.textContent = ok ? `${Math.round(b - a)} s, cut at keyframes, without re-encoding.` : "Drag across the timeline, or type the times.";
  };
  start.addEventListener("input", update);
  end.addEventListener("input", update);
  timeline.onSelect = (a, b) => {
    start.value = toInput(Math.max(day.start, a));
    end.value = toInput(Math.min(day.end, b));
    timeline.showSelection(a, b);
    update();
  };
  return h("section.export", { "aria-label": "export" },
    h("h2", {}, "Export"),
    h("div.fields", {}, h("label", { for: "clip-start" }, "From"), start, h("label", { for: "clip-end" }, "to"), end),
    link,
    note,
  );
}

function eventList(events: CamEvent[]): HTMLElement {
  if (!events.length) return h("section.events", {}, h("h2", {}, "Events"), h("p", {}, "No events on this day."));
  return h("section.events", {}, h("h2", {}, "Events"), h("ul", {}, ...events.map((e) => {
    const keep = h("button", { type: "button", "aria-pressed": String(e.retain_indefinitely), "data-keep": e.id }, e.retain_indefinitely ? "★ Kept forever" : "Keep forever");
    keep.addEventListener("click", async () => {
      const updated = await api.keepForever(e.id, !e.retain_indefinitely);
      e.retain_indefinitely = updated.retain_indefinitely;
      keep.setAttribute("aria-pressed", String(e.retain_indefinitely));
      keep.textContent = e.retain_indefinitely ? "★ Kept forever" : "Keep forever";
    });
    return h("li", {}, h("span", {}, `${clock(e.start_time)} ${e.label}`), keep);
  })));
}

async function route(): Promise<void> {
  // A link may carry the token in the fragment (never sent to the server): log in, then drop it.
  const fromLink = /^#token=([^&]+)/.exec(location.hash)?.[1];
  if (fromLink) {
    history.replaceState(null, "", `${location.pathname}#/`);
    try {
      await api.login(decodeURIComponent(fromLink));
    } catch {
      return renderLogin("The token in that link is not right.");
    }
  }
  try {
    const status = await api.status();
    const m = /^#\/camera\/([^/]+)(?:\/(\d{4}-\d\d-\d\d))?/.exec(location.hash);
    if (m) await renderCamera(status, decodeURIComponent(m[1]!), m[2]);
    else renderOverview(status);
  } catch (e) {
    if (e instanceof Unauthorized) return renderLogin();
    app.replaceChildren(header(), h("main", {}, h("p.error", { role: "alert" }, `Something went wrong: ${(e as Error).message}`)));
  }
}

window.addEventListener("hashchange", () => void route());
void route();
