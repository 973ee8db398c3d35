import { h } from "../dom.ts";
import { api, type CamEvent } from "../api.ts";
import type { Moment } from "../review.ts";
import { clock, span } from "../time.ts";
import type { Player } from "./player.ts";
import { isAdmin } from "../me.ts";

// The day's review list: events and motion periods, a picture each; play one, keep an event forever.

export function reviewList(camera: string, list: Moment[], events: CamEvent[], player: Player): HTMLElement {
  if (!list.length)
    return h("section.review", {}, h("h2", {}, "Review"), h("p", {}, "No events or motion on this day."));
  const byId = new Map(events.map((e) => [e.id, e]));
  return h(
    "section.review",
    { "aria-label": "events and motion" },
    h("h2", {}, `Review: ${count(list, "event")}, ${count(list, "motion")}`),
    h(
      "ul",
      {},
      ...list.map((m) => {
        const play = h(
          "button.moment",
          { type: "button", "data-play": m.start, "data-kind": m.kind },
          // Pictures load when scrolled to: a day of motion asks for a few at a time.
          h("img", { src: api.previewUrl(camera, m.start), alt: "", loading: "lazy", width: 96, height: 54 }),
          h(
            "span",
            {},
            `${clock(m.start)} ${m.label}`,
            h("small", {}, ` ${span(Math.max(1, m.end - m.start))}`),
          ),
        );
        play.addEventListener("click", () => void player.playAt(m.start));
        const e = m.id ? byId.get(m.id) : undefined;
        return h("li", { "data-kind": m.kind }, play, e && isAdmin() ? keepButton(e) : null);
      }),
    ),
  );
}

function keepButton(e: CamEvent): HTMLElement {
  const keep = h(
    "button.keep",
    { type: "button", "aria-pressed": String(e.retain_indefinitely), "data-keep": e.id },
    e.retain_indefinitely ? "★ Kept forever" : "Keep forever",
  );
  keep.addEventListener("click", async () => {
    const updated = await api.keepForever(e.id, !e.retain_indefinitely);
    e.retain_indefinitely = updated.retain_indefinitely;
    keep.setAttribute("aria-pressed", String(e.retain_indefinitely));
    keep.textContent = e.retain_indefinitely ? "★ Kept forever" : "Keep forever";
  });
  return keep;
}

function count(list: Moment[], kind: Moment["kind"]): string {
  const n = list.filter((m) => m.kind === kind).length;
  return `${n} ${kind === "event" ? "event" : "motion period"}${n === 1 ? "" : "s"}`;
}
