import { h } from "../dom.ts";
import { api } from "../api.ts";
import { fromInput, toInput } from "../time.ts";
import type { Timeline } from "./timeline.ts";

// Export of a span as one clip.
export function exportPanel(
  camera: string,
  day: { start: number; end: number },
  timeline: Timeline,
): HTMLElement {
  const start = h("input", { id: "clip-start", type: "datetime-local", step: 1 });
  const end = h("input", { id: "clip-end", type: "datetime-local", step: 1 });
  const link = h(
    "a.button",
    { id: "clip-download", download: true, "aria-disabled": "true" },
    "Download clip",
  );
  const signed = h("input", { id: "clip-signed", type: "checkbox" });
  const note = h("p.help", {}, "Drag across the timeline, or type the times.");
  const update = () => {
    const a = fromInput(start.value);
    const b = fromInput(end.value);
    const ok = Number.isFinite(a) && Number.isFinite(b) && b > a;
    link.setAttribute("aria-disabled", String(!ok));
    if (ok) link.href = api.clipUrl(camera, a, b, signed.checked);
    else link.removeAttribute("href");
    note.textContent = ok
      ? `${Math.round(b - a)} s, cut at keyframes, without re-encoding${signed.checked ? "; signed by this box (check it with camkeep verify)" : ""}.`
      : "Drag across the timeline, or type the times.";
  };
  start.addEventListener("input", update);
  end.addEventListener("input", update);
  signed.addEventListener("change", update);
  timeline.onSelect = (a, b) => {
    start.value = toInput(Math.max(day.start, a));
    end.value = toInput(Math.min(day.end, b));
    timeline.showSelection(a, b);
    update();
  };
  return h(
    "section.export",
    { "aria-label": "export" },
    h("h2", {}, "Export"),
    h(
      "div.fields",
      {},
      h("label", { for: "clip-start" }, "From"),
      start,
      h("label", { for: "clip-end" }, "to"),
      end,
      signed,
      h(
        "label",
        { for: "clip-signed", title: "ONVIF Export File Format: anyone can check it is unaltered" },
        "signed",
      ),
    ),
    link,
    note,
  );
}
