import { h } from "../dom.ts";
import { api, type CamEvent } from "../api.ts";
import { clock } from "../time.ts";

// The day's events, each to keep forever.
export function eventList(events: CamEvent[]): HTMLElement {
  if (!events.length)
    return h("section.events", {}, h("h2", {}, "Events"), h("p", {}, "No events on this day."));
  return h(
    "section.events",
    {},
    h("h2", {}, "Events"),
    h(
      "ul",
      {},
      ...events.map((e) => {
        const keep = h(
          "button",
          { type: "button", "aria-pressed": String(e.retain_indefinitely), "data-keep": e.id },
          e.retain_indefinitely ? "★ Kept forever" : "Keep forever",
        );
        keep.addEventListener("click", async () => {
          const updated = await api.keepForever(e.id, !e.retain_indefinitely);
          e.retain_indefinitely = updated.retain_indefinitely;
          keep.setAttribute("aria-pressed", String(e.retain_indefinitely));
          keep.textContent = e.retain_indefinitely ? "★ Kept forever" : "Keep forever";
        });
        return h("li", {}, h("span", {}, `${clock(e.start_time)} ${e.label}`), keep);
      }),
    ),
  );
}
