import { h } from "../dom.ts";
import { type Bucket, type CamEvent } from "../api.ts";
import {
  BUCKET_SECONDS,
  bucketSpans,
  clock,
  fraction,
  hourMarks,
  localDay,
  motionPerMinute,
} from "../time.ts";
import type { Player } from "./player.ts";

// The day bar: recorded spans, motion, events; click to play, drag to select.
/** The day as a bar: recorded spans, motion, events; click to play, drag to select. */
export class Timeline {
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
      this.track.append(
        h("div.span", {
          style: `left:${at(s.start)};width:${width(s.start, s.end)}`,
          "data-start": s.start,
          "data-end": s.end,
          title: `${clock(s.start)}–${clock(s.end)}`,
        }),
      );
    }
    // Motion per quarter hour (the rollups), taller and darker where more moved; the hour being
    // played shows it minute by minute once its segments are loaded.
    const peak = Math.max(0, ...buckets.map((b) => b.motion));
    for (const b of buckets) {
      if (b.motion > 0)
        this.track.append(this.motionMark("quarter", b.bucket, BUCKET_SECONDS, b.motion / peak));
    }
    player.onSegments = (segments) => {
      for (const old of this.track.querySelectorAll(".motion.minute")) old.remove();
      for (const m of motionPerMinute(segments))
        this.track.append(this.motionMark("minute", m.minute, 60, m.intensity));
    };
    for (const e of events) {
      const end = e.end_time ?? Math.min(day.end, Date.now() / 1000);
      this.track.append(
        h(
          `div.event${e.retain_indefinitely ? ".kept" : ""}`,
          {
            style: `left:${at(e.start_time)};width:max(3px,${width(e.start_time, end)})`,
            title: `${e.label} ${clock(e.start_time)}${e.retain_indefinitely ? " ★ kept forever" : ""}`,
            "data-event": e.id,
          },
          h("span", {}, `${e.label}${e.retain_indefinitely ? " ★" : ""}`),
        ),
      );
    }
    const ticks = h(
      "div.ticks",
      { "aria-hidden": "true" },
      ...hourMarks(localDay(day.start)).map((m) => h("span", { style: `left:${at(m.t)}` }, m.label)),
    );
    this.track.append(this.selection, this.playhead);
    this.cursor = buckets[0]?.bucket ?? day.start;
    this.el = h(
      "section.timeline",
      {
        tabindex: 0,
        role: "slider",
        "aria-label": "timeline: arrows move, Enter plays",
        "aria-valuemin": day.start,
        "aria-valuemax": day.end,
        "aria-valuenow": this.cursor,
        "aria-valuetext": clock(this.cursor),
      },
      this.track,
      ticks,
    );
    player.onTime = (t) => this.showPlayhead(t);
    this.listen(player);
  }

  private readonly at: (t: number) => string;
  private readonly width: (a: number, b: number) => string;

  private motionMark(
    kind: "quarter" | "minute",
    start: number,
    seconds: number,
    intensity: number,
  ): HTMLElement {
    return h(`div.motion.${kind}`, {
      style: `left:${this.at(start)};width:max(1px,${this.width(start, start + seconds)});opacity:${(0.3 + 0.7 * intensity).toFixed(2)};height:${(5 + 15 * intensity).toFixed(1)}%`,
      [`data-${kind}`]: start,
      title: `motion ${clock(start)}`,
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
