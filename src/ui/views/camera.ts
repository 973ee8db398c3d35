import { h, app, zone } from "../dom.ts";
import { api, type Status } from "../api.ts";
import { dayBounds } from "../time.ts";
import { eventList } from "../parts/event-list.ts";
import { exportPanel } from "../parts/export-panel.ts";
import { header } from "../parts/header.ts";
import { Player } from "../parts/player.ts";
import { Timeline } from "../parts/timeline.ts";

// A camera's day: the timeline, the player, export and the events.
export async function renderCamera(status: Status, camera: string, requestedDay?: string): Promise<void> {
  const days = (await api.days(camera, zone)).map((d) => d.day);
  const day = requestedDay && days.includes(requestedDay) ? requestedDay : days.at(-1);
  const back = h("a", { href: "#/" }, "← all cameras");
  if (!day) {
    app.replaceChildren(
      header(status),
      h("main", {}, back, h("h1", {}, camera), h("p", {}, "No footage stored yet.")),
    );
    return;
  }
  const bounds = dayBounds(day);
  // The day from its quarter-hour rollups; segments only for the hour being played.
  const [buckets, events] = await Promise.all([
    api.buckets(camera, bounds.start, bounds.end),
    api.events(camera, bounds.start, bounds.end),
  ]);

  const picker = h(
    "select",
    { id: "day", "aria-label": "day" },
    ...days.map((d) => h("option", { value: d, selected: d === day }, d)),
  );
  picker.addEventListener(
    "change",
    () => (location.hash = `#/camera/${encodeURIComponent(camera)}/${picker.value}`),
  );
  const step = (by: number) => {
    const next = days[days.indexOf(day) + by];
    const b = h(
      "button",
      { type: "button", disabled: !next, "aria-label": by < 0 ? "previous day" : "next day" },
      by < 0 ? "‹" : "›",
    );
    b.addEventListener(
      "click",
      () => next && (location.hash = `#/camera/${encodeURIComponent(camera)}/${next}`),
    );
    return b;
  };

  const player = new Player(camera, bounds);
  const timeline = new Timeline(bounds, buckets, events, player);
  const exporter = exportPanel(camera, bounds, timeline);
  app.replaceChildren(
    header(status),
    h(
      "main",
      {},
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
