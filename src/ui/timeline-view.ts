// The part of a day the timeline shows, from the whole day down to a minute: zoom, pan, ticks. Pure.

export interface View {
  start: number;
  end: number;
}

/** The narrowest view: a minute. */
export const MIN_SPAN_S = 60;

/** Tick steps, seconds: the first that gives at most MAX_TICKS marks is used. */
const STEPS = [10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10_800];
const MAX_TICKS = 12;

/** `view` shifted (not resized) to lie within `day`. */
export function clampView(view: View, day: View): View {
  const span = Math.min(day.end - day.start, Math.max(MIN_SPAN_S, view.end - view.start));
  const start = Math.min(day.end - span, Math.max(day.start, view.start));
  return { start, end: start + span };
}

/** Zoomed by `factor` (< 1 in, > 1 out) around moment `at`, which stays where it is on screen. */
export function zoomView(view: View, day: View, factor: number, at: number): View {
  const span = Math.min(day.end - day.start, Math.max(MIN_SPAN_S, (view.end - view.start) * factor));
  const k = (at - view.start) / (view.end - view.start);
  return clampView({ start: at - k * span, end: at - k * span + span }, day);
}

/** Moved so that `t` shows, by as little as needed plus a tenth of the view. */
export function followView(view: View, day: View, t: number): View {
  const span = view.end - view.start;
  if (t >= view.start && t <= view.end) return view;
  const start = t < view.start ? t - span * 0.1 : t - span * 0.9;
  return clampView({ start, end: start + span }, day);
}

/** Position of `t` across the view, 0–1 (outside it below 0 or above 1). */
export function place(view: View, t: number): number {
  return (t - view.start) / (view.end - view.start);
}

/**
 * Marks for the view: every `step` of local time (aligned to the local clock, so 06:00 is a
 * mark in any zone), labelled HH:MM, or HH:MM:SS under a minute.
 */
export function ticks(view: View): { t: number; label: string }[] {
  const span = view.end - view.start;
  const step = STEPS.find((s) => span / s <= MAX_TICKS) ?? STEPS.at(-1)!;
  const d = new Date(view.start * 1000);
  const local = d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds() + d.getMilliseconds() / 1000;
  const out: { t: number; label: string }[] = [];
  for (let t = view.start + ((step - (local % step)) % step); t <= view.end; t += step) {
    const at = new Date(t * 1000);
    const hm = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
    out.push({ t, label: step < 60 ? `${hm}:${pad(at.getSeconds())}` : hm });
  }
  return out;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
