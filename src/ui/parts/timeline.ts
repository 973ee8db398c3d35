import { h } from "../dom.ts";
import { api, type Bucket, type CamEvent, type Recording } from "../api.ts";
import { BUCKET_SECONDS, bucketSpans, clock, motionPerMinute, span } from "../time.ts";
import { type View, clampView, followView, place, ticks, zoomView } from "../timeline-view.ts";
import type { Player } from "./player.ts";
import { PreviewPopup } from "./preview.ts";

// The timeline: a day down to a minute — recorded spans, motion, events; click, drag, zoom.

/** Views this short or shorter show each segment and motion per minute (read for the view). */
const DETAIL_SPAN_S = 3 * 3600;
/** A pointer that moved less than this (px) clicked. */
const CLICK_PX = 4;
const ZOOM_STEP = 2;

/**
 * The day as a bar that zooms from the whole day to a minute (wheel, pinch, the buttons, + and
 * -) and pans. A click plays from that moment; a drag scrubs (the picture under the pointer
 * shows, the player follows where its footage is loaded, and plays from where it is let go);
 * a drag with Shift selects a span to export. The whole day comes from the quarter-hour
 * rollups; a view of three hours or less reads its segments for detail.
 */
export class Timeline {
  readonly el: HTMLElement;
  private readonly track = h("div.track", {});
  private readonly marks = h("div.marks", {});
  private readonly playhead = h("div.playhead", { hidden: true });
  private readonly selectionEl = h("div.selection", { hidden: true });
  private readonly tickBar = h("div.ticks", { "aria-hidden": "true" });
  private readonly range = h("span.range", {});
  private readonly preview: PreviewPopup;
  private view: View;
  /** The recorded spans drawn (from the rollups, or the view's segments). */
  private spans: View[] = [];
  private cursor: number;
  private played?: number;
  private selection?: View;
  private detail?: { view: View; segments: Recording[] };
  private detailTimer?: ReturnType<typeof setTimeout>;
  /** The user moved the view lately: playback does not pull it along for a while. */
  private heldUntil = 0;
  onSelect: (start: number, end: number) => void = () => {};

  constructor(
    private readonly camera: string,
    private readonly day: View,
    private readonly buckets: Bucket[],
    private readonly events: CamEvent[],
    private readonly player: Player,
  ) {
    this.view = { ...day };
    this.cursor = buckets.find((b) => b.segments > 0)?.bucket ?? day.start;
    this.preview = new PreviewPopup(camera);
    this.track.append(this.marks, this.selectionEl, this.playhead, this.preview.el);
    const button = (label: string, name: string, act: () => void) => {
      const b = h("button.zoom", { type: "button", "aria-label": name, title: name }, label);
      b.addEventListener("click", act);
      return b;
    };
    this.el = h(
      "section.timeline",
      {},
      h(
        "div.zoombar",
        {},
        button("−", "zoom out", () => this.zoom(ZOOM_STEP, this.focus())),
        button("+", "zoom in", () => this.zoom(1 / ZOOM_STEP, this.focus())),
        button("Day", "whole day", () => this.setView(day)),
        this.range,
      ),
      h(
        "div.slider",
        {
          tabindex: 0,
          role: "slider",
          "aria-label": "timeline: arrows move, + and - zoom, Enter plays",
          "aria-valuemin": day.start,
          "aria-valuemax": day.end,
        },
        this.track,
        this.tickBar,
      ),
    );
    player.onTime = (t) => this.showPlayhead(t);
    this.listen();
    this.render();
  }

  /** The view shown now (for tests and the address bar). */
  get shown(): View {
    return { ...this.view };
  }

  setView(view: View): void {
    this.view = clampView(view, this.day);
    this.render();
  }

  zoom(factor: number, at: number): void {
    this.heldUntil = Date.now() + 5000;
    this.setView(zoomView(this.view, this.day, factor, at));
  }

  showSelection(start: number, end: number): void {
    this.selection = { start, end };
    const a = Math.max(start, this.view.start);
    const b = Math.min(end, this.view.end);
    if (b > a) this.place(this.selectionEl, a, b);
    else this.selectionEl.hidden = true;
  }

  /** Where zooming centres: the playhead if shown, else the keyboard cursor. */
  private focus(): number {
    const t = this.played ?? this.cursor;
    return t >= this.view.start && t <= this.view.end ? t : (this.view.start + this.view.end) / 2;
  }

  private showPlayhead(t: number): void {
    this.played = t;
    if (Date.now() > this.heldUntil) {
      const moved = followView(this.view, this.day, t);
      if (moved !== this.view) {
        this.setView(moved);
        return;
      }
    }
    this.drawPlayhead();
  }

  /** The playhead: what plays (or was scrubbed to), else the keyboard's cursor while focused. */
  private drawPlayhead(): void {
    const t = this.played ?? (this.focused ? this.cursor : undefined);
    const x = t === undefined ? -1 : place(this.view, t);
    this.playhead.hidden = x < 0 || x > 1;
    this.playhead.style.left = `${(x * 100).toFixed(3)}%`;
    const slider = this.el.querySelector(".slider")!;
    const value = t ?? this.cursor;
    slider.setAttribute("aria-valuenow", String(Math.round(value)));
    slider.setAttribute("aria-valuetext", clock(value));
  }

  private focused = false;

  private place(el: HTMLElement, start: number, end: number): void {
    el.hidden = false;
    el.style.left = `${(place(this.view, start) * 100).toFixed(3)}%`;
    el.style.width = `max(1px, ${((place(this.view, end) - place(this.view, start)) * 100).toFixed(3)}%)`;
  }

  /** Draws what lies in the view (only that: a day zoomed to a minute draws a handful of marks). */
  private render(): void {
    const v = this.view;
    const inView = (a: number, b: number) => b > v.start && a < v.end;
    const mark = (
      spec: string,
      a: number,
      b: number,
      attrs: Record<string, string | number>,
      ...kids: Node[]
    ) => {
      const el = h(spec as "div", attrs, ...kids);
      this.place(el, Math.max(a, v.start - 1), Math.min(b, v.end + 1));
      return el;
    };
    const out: HTMLElement[] = [];
    const detail = this.detail && this.detail.view.start <= v.start && this.detail.view.end >= v.end;
    const spans = detail ? segmentSpans(this.detail!.segments) : bucketSpans(this.buckets);
    this.spans = spans;
    for (const s of spans)
      if (inView(s.start, s.end))
        out.push(
          mark("div.span", s.start, s.end, {
            "data-start": s.start,
            "data-end": s.end,
            title: `${clock(s.start)}–${clock(s.end)}`,
          }),
        );
    if (detail) {
      for (const m of motionPerMinute(this.detail!.segments))
        if (inView(m.minute, m.minute + 60))
          out.push(this.motionMark("minute", m.minute, 60, m.intensity, mark));
    } else {
      const peak = Math.max(0, ...this.buckets.map((b) => b.motion));
      for (const b of this.buckets)
        if (b.motion > 0 && inView(b.bucket, b.bucket + BUCKET_SECONDS))
          out.push(this.motionMark("quarter", b.bucket, BUCKET_SECONDS, b.motion / peak, mark));
    }
    const now = Date.now() / 1000;
    for (const e of this.events) {
      const end = e.end_time ?? Math.min(this.day.end, now);
      if (!inView(e.start_time, end)) continue;
      const kept = e.retain_indefinitely;
      out.push(
        mark(
          `div.event${kept ? ".kept" : ""}`,
          e.start_time,
          Math.max(end, e.start_time + (v.end - v.start) / 400),
          { title: `${e.label} ${clock(e.start_time)}${kept ? " ★ kept forever" : ""}`, "data-event": e.id },
          h("span", {}, `${e.label}${kept ? " ★" : ""}`),
        ),
      );
    }
    this.marks.replaceChildren(...out);
    this.tickBar.replaceChildren(
      ...ticks(v).map((m) => h("span", { style: `left:${(place(v, m.t) * 100).toFixed(3)}%` }, m.label)),
    );
    const whole = v.start <= this.day.start && v.end >= this.day.end;
    this.range.textContent = whole
      ? "the whole day"
      : `${clock(v.start)}–${clock(v.end)} (${span(v.end - v.start)})`;
    this.el.dataset.viewStart = String(v.start);
    this.el.dataset.viewEnd = String(v.end);
    if (this.selection) this.showSelection(this.selection.start, this.selection.end);
    this.drawPlayhead();
    this.wantDetail();
  }

  private motionMark(
    kind: "quarter" | "minute",
    start: number,
    seconds: number,
    intensity: number,
    mark: (spec: string, a: number, b: number, attrs: Record<string, string | number>) => HTMLElement,
  ): HTMLElement {
    const el = mark(`div.motion.${kind}`, start, start + seconds, {
      [`data-${kind}`]: start,
      title: `motion ${clock(start)}`,
    });
    el.style.opacity = (0.3 + 0.7 * intensity).toFixed(2);
    el.style.height = `${(5 + 15 * intensity).toFixed(1)}%`;
    return el;
  }

  /** A short view reads its segments (once for it and some around it, so panning reads little). */
  private wantDetail(): void {
    const v = this.view;
    const span = v.end - v.start;
    if (span > DETAIL_SPAN_S) return;
    if (this.detail && this.detail.view.start <= v.start && this.detail.view.end >= v.end) return;
    clearTimeout(this.detailTimer);
    this.detailTimer = setTimeout(async () => {
      const wide = {
        start: Math.max(this.day.start, v.start - span),
        end: Math.min(this.day.end, v.end + span),
      };
      const segments = await api.recordings(this.camera, wide.start, wide.end, 20_000).catch(() => undefined);
      if (!segments) return;
      this.detail = { view: wide, segments };
      this.render();
    }, 150);
  }

  private timeAt(clientX: number): { t: number; x: number } {
    const r = this.track.getBoundingClientRect();
    const x = (clientX - r.left) / r.width;
    return { t: this.view.start + Math.min(1, Math.max(0, x)) * (this.view.end - this.view.start), x };
  }

  private listen(): void {
    const pointers = new Map<number, number>();
    let down: { x: number; t: number; select: boolean; moved: boolean } | undefined;
    let pinch: { distance: number } | undefined;
    this.track.addEventListener("pointerdown", (e) => {
      pointers.set(e.pointerId, e.clientX);
      this.track.setPointerCapture(e.pointerId);
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { distance: Math.abs(a! - b!) || 1 };
        down = undefined;
        return;
      }
      down = { x: e.clientX, t: this.timeAt(e.clientX).t, select: e.shiftKey, moved: false };
    });
    this.track.addEventListener("pointermove", (e) => {
      const at = this.timeAt(e.clientX);
      if (pointers.has(e.pointerId)) pointers.set(e.pointerId, e.clientX);
      if (pinch && pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const distance = Math.abs(a! - b!) || 1;
        this.zoom(pinch.distance / distance, this.timeAt((a! + b!) / 2).t);
        pinch.distance = distance;
        return;
      }
      // A picture only where footage is (the time alone elsewhere).
      this.preview.show(
        at.t,
        at.x,
        this.spans.some((s) => s.start <= at.t && at.t < s.end),
      );
      if (!down || (!down.moved && Math.abs(e.clientX - down.x) <= CLICK_PX)) return;
      down.moved = true;
      if (down.select) this.showSelection(Math.min(down.t, at.t), Math.max(down.t, at.t));
      else {
        // Scrubbing: the playhead follows the pointer; the picture follows where it is loaded.
        this.played = at.t;
        this.heldUntil = Date.now() + 5000;
        this.drawPlayhead();
        this.player.showAt(at.t);
      }
    });
    const up = (e: PointerEvent) => {
      pointers.delete(e.pointerId);
      if (pinch) {
        if (pointers.size < 2) pinch = undefined;
        return;
      }
      if (!down) return;
      const t = this.timeAt(e.clientX).t;
      const d = down;
      down = undefined;
      if (e.type === "pointercancel") return;
      if (d.select && d.moved) this.onSelect(Math.min(d.t, t), Math.max(d.t, t));
      else if (!d.moved || !this.player.showAt(t)) void this.player.playAt(t);
    };
    this.track.addEventListener("pointerup", up);
    this.track.addEventListener("pointercancel", up);
    this.track.addEventListener("pointerleave", () => this.preview.hide());
    this.track.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const by = e.deltaY || e.deltaX;
        if (by) this.zoom(by > 0 ? 1.25 : 0.8, this.timeAt(e.clientX).t);
      },
      { passive: false },
    );
    const slider = this.el.querySelector<HTMLElement>(".slider")!;
    slider.addEventListener("focus", () => {
      this.focused = true;
      this.drawPlayhead();
    });
    slider.addEventListener("blur", () => (this.focused = false));
    slider.addEventListener("keydown", (e) => {
      const span = this.view.end - this.view.start;
      const by = { ArrowLeft: -span / 60, ArrowRight: span / 60, PageUp: -span / 4, PageDown: span / 4 }[
        e.key
      ];
      if (by) {
        this.cursor = Math.min(
          this.day.end,
          Math.max(this.day.start, (this.played ?? this.cursor) + Math.sign(by) * Math.max(1, Math.abs(by))),
        );
        this.played = undefined;
        this.heldUntil = Date.now() + 5000;
        this.setView(followView(this.view, this.day, this.cursor));
      } else if (e.key === "+" || e.key === "=") this.zoom(1 / ZOOM_STEP, this.focus());
      else if (e.key === "-") this.zoom(ZOOM_STEP, this.focus());
      else if (e.key === "Enter") void this.player.playAt(this.cursor);
      else return;
      e.preventDefault();
      e.stopPropagation();
    });
  }
}

/** Recorded spans from segments: touching ones (within a second) merged. */
function segmentSpans(segments: readonly Recording[]): View[] {
  const out: View[] = [];
  for (const s of segments) {
    const last = out.at(-1);
    if (last && s.start_time - last.end <= 1) last.end = Math.max(last.end, s.end_time);
    else out.push({ start: s.start_time, end: s.end_time });
  }
  return out;
}
