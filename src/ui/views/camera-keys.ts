import type { Player } from "../parts/player.ts";
import { SPEEDS } from "../parts/player.ts";
import type { Timeline } from "../parts/timeline.ts";
import type { Moment } from "../review.ts";

// The camera view's keyboard: everything the mouse does there (docs/page.md lists the keys).

let listening: AbortController | undefined;

/** Listens to the document's keys for this view; a view rendered later takes them over. */
export function listenKeys(view: {
  player: Player;
  timeline: Timeline;
  jump: (kind: Moment["kind"], dir: 1 | -1) => void;
}): void {
  listening?.abort();
  listening = new AbortController();
  const { player, timeline, jump } = view;
  document.addEventListener(
    "keydown",
    (e) => {
      const target = e.target as HTMLElement;
      if (!document.body.contains(timeline.el)) return; // another view now
      if (e.ctrlKey || e.metaKey || e.altKey || target.closest("input, select, textarea, video")) return;
      const now = player.now();
      const speedIndex = SPEEDS.indexOf(player.currentSpeed as (typeof SPEEDS)[number]);
      if (e.key === " " || e.key === "k") player.toggle();
      else if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && now !== undefined) {
        const t = now + (e.key === "ArrowLeft" ? -10 : 10);
        if (!player.showAt(t)) void player.playAt(t);
      } else if (e.key === "]" && speedIndex < SPEEDS.length - 1)
        void player.setSpeed(SPEEDS[speedIndex + 1]!);
      else if (e.key === "[" && speedIndex > 0) void player.setSpeed(SPEEDS[speedIndex - 1]!);
      else if (e.key === "n" || e.key === "p") jump("motion", e.key === "n" ? 1 : -1);
      else if (e.key === "N" || e.key === "P") jump("event", e.key === "N" ? 1 : -1);
      else if (e.key === "+" || e.key === "=")
        timeline.zoom(0.5, now ?? (timeline.shown.start + timeline.shown.end) / 2);
      else if (e.key === "-") timeline.zoom(2, now ?? (timeline.shown.start + timeline.shown.end) / 2);
      else return;
      e.preventDefault();
    },
    { signal: listening.signal },
  );
}
