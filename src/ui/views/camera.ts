import { h, app, zone } from "../dom.ts";
import { api, type CamerasView } from "../api.ts";
import { dayBounds } from "../time.ts";
import { exportPanel } from "../parts/export-panel.ts";
import { header } from "../parts/header.ts";
import { Player } from "../parts/player.ts";
import { reviewList } from "../parts/review-list.ts";
import { Timeline } from "../parts/timeline.ts";
import { moments, stepMoment, type Moment } from "../review.ts";
import { cameraLink } from "../links.ts";
import { listenKeys } from "./camera-keys.ts";

/** What the address asks of a camera: a day, or a moment (which opens its day and plays from it). */
export type CameraTarget = { day?: string; at?: number };

// A camera's day: the timeline, the player, stepping between moments, export and the review list.
export async function renderCamera(
  view: CamerasView,
  camera: string,
  target: CameraTarget,
  stillWanted: () => boolean,
): Promise<void> {
  const days = (await api.days(camera, zone)).map((d) => d.day);
  if (!stillWanted()) return; // another view was asked for meanwhile
  const wanted = target.day;
  const day = wanted && days.includes(wanted) ? wanted : days.at(-1);
  const back = h("a", { href: "#/" }, "← all cameras");
  if (!day) {
    app.replaceChildren(
      header(view),
      h("main", {}, back, h("h1", {}, camera), h("p", {}, "No footage stored yet.")),
    );
    return;
  }
  const bounds = dayBounds(day);
  // The day from its quarter-hour rollups and its motion periods; segments only for a zoomed view.
  const [buckets, events, periods] = await Promise.all([
    api.buckets(camera, bounds.start, bounds.end),
    api.events(camera, bounds.start, bounds.end),
    api.motion(camera, bounds.start, bounds.end),
  ]);
  if (!stillWanted()) return;
  const list = moments(events, periods, Date.now() / 1000);

  const picker = h(
    "select",
    { id: "day", "aria-label": "day" },
    ...days.map((d) => h("option", { value: d, selected: d === day }, d)),
  );
  picker.addEventListener("change", () => (location.hash = cameraLink(camera, { day: picker.value })));
  const step = (by: number) => {
    const next = days[days.indexOf(day) + by];
    const b = h(
      "button",
      { type: "button", disabled: !next, "aria-label": by < 0 ? "previous day" : "next day" },
      by < 0 ? "‹" : "›",
    );
    b.addEventListener("click", () => next && (location.hash = cameraLink(camera, { day: next })));
    return b;
  };

  const player = new Player(camera, bounds);
  const timeline = new Timeline(camera, bounds, buckets, events, player);
  const jump = (kind: Moment["kind"], dir: 1 | -1) => {
    const t = stepMoment(list, kind, player.now() ?? bounds.start - 1, dir);
    if (t !== undefined) void player.playAt(t);
  };
  const stepper = (kind: Moment["kind"], dir: 1 | -1, key: string) => {
    const name = `${dir < 0 ? "previous" : "next"} ${kind}`;
    const b = h(
      "button.step",
      { type: "button", "data-step": `${kind}${dir}`, title: `${name} (${key})` },
      dir < 0 ? `‹ ${kind}` : `${kind} ›`,
    );
    b.addEventListener("click", () => jump(kind, dir));
    return b;
  };
  listenKeys({ player, timeline, jump });
  // The address holds the moment shown, so a link (or a reload) opens it again.
  player.onShown = (t) => history.replaceState(null, "", cameraLink(camera, { at: t }));

  app.replaceChildren(
    header(view),
    h(
      "main",
      {},
      back,
      h("h1", {}, camera),
      h("div.daynav", {}, step(-1), picker, step(1), h("span.zone", {}, zone)),
      timeline.el,
      player.el,
      h(
        "div.steps",
        { role: "group", "aria-label": "step between moments" },
        stepper("motion", -1, "p"),
        stepper("motion", 1, "n"),
        stepper("event", -1, "Shift+P"),
        stepper("event", 1, "Shift+N"),
      ),
      h(
        "p.help.keys",
        {},
        "Keys: Space play/pause · ←/→ 10 s · [ ] speed · n/p motion · Shift+N/P event · + − zoom",
      ),
      exportPanel(camera, bounds, timeline),
      reviewList(camera, list, events, player),
    ),
  );
  if (target.at !== undefined && target.at >= bounds.start && target.at < bounds.end)
    void player.playAt(target.at);
}
