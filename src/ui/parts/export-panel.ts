import { h } from "../dom.ts";
import { api } from "../api.ts";
import { fromInput, toInput } from "../time.ts";
import type { Timeline } from "./timeline.ts";
import { isAdmin } from "../me.ts";
import { sharePicker } from "./share-picker.ts";

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
  // A time-lapse of the span: a minute of result (spans of 10 minutes or more: 10× at least), key frames only.
  const timelapse = h(
    "a.button",
    { id: "timelapse-download", download: true, "aria-disabled": "true" },
    "Time-lapse",
  );
  const note = h("p.help", {}, "Drag across the timeline, or type the times.");
  const chosen = () => {
    const a = fromInput(start.value);
    const b = fromInput(end.value);
    return Number.isFinite(a) && Number.isFinite(b) && b > a ? { camera, start: a, end: b } : undefined;
  };
  // Cases and share links are an admin's (a viewer's requests for them would be refused).
  const cases = isAdmin() ? casePicker(camera, chosen) : null;
  const share = isAdmin() ? sharePicker(chosen) : null;
  const update = () => {
    const a = fromInput(start.value);
    const b = fromInput(end.value);
    const ok = Number.isFinite(a) && Number.isFinite(b) && b > a;
    link.setAttribute("aria-disabled", String(!ok));
    if (ok) link.href = api.clipUrl(camera, a, b, signed.checked);
    else link.removeAttribute("href");
    const lapse = ok && b - a >= 600;
    timelapse.setAttribute("aria-disabled", String(!lapse));
    if (lapse) timelapse.href = api.timelapseUrl(camera, a, b, 60);
    else timelapse.removeAttribute("href");
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
    timelapse,
    note,
    cases,
    share,
  );
}

/**
 * Keeping the span selected in a case (docs/evidence.md#cases): a new one, or one already open
 * (spans of other cameras are added from their own pages). What a case holds, no rule deletes.
 */
function casePicker(camera: string, span: () => { camera: string; start: number; end: number } | undefined) {
  const choice = h(
    "select",
    { id: "case-choice", "aria-label": "case" },
    h("option", { value: "" }, "a new case"),
  );
  const title = h("input", {
    id: "case-title",
    type: "text",
    placeholder: "title of the new case",
    maxlength: 200,
  });
  const add = h("button", { id: "case-add", type: "button" }, "Keep in case");
  const said = h("p.help", { id: "case-said", role: "status" });
  const load = async () => {
    const open = (await api.cases()).filter((c) => c.closed_at === null);
    choice.replaceChildren(
      h("option", { value: "" }, "a new case"),
      ...open.map((c) => h("option", { value: c.id }, c.title)),
    );
  };
  choice.addEventListener("change", () => {
    title.hidden = choice.value !== "";
  });
  add.addEventListener("click", async () => {
    const s = span();
    if (!s) return void (said.textContent = "Choose the span first.");
    if (!choice.value && !title.value.trim()) return void (said.textContent = "Give the new case a title.");
    try {
      const c = choice.value
        ? await api.addToCase(choice.value, s)
        : await api.openCase(title.value.trim(), s);
      said.textContent = `Kept in case “${c.title}” (${c.spans.length} span${c.spans.length > 1 ? "s" : ""}): no rule deletes it while the case is open.`;
      title.value = "";
      await load();
      choice.value = c.id;
      title.hidden = true;
    } catch (e) {
      said.textContent = `Not kept: ${(e as Error).message}`;
    }
  });
  void load().catch(() => {});
  return h(
    "div.case",
    { "data-camera": camera },
    h("label", { for: "case-choice" }, "Keep this span in"),
    choice,
    title,
    add,
    said,
  );
}
