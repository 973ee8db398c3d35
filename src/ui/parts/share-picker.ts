import { h } from "../dom.ts";
import { api } from "../api.ts";

// A share link of the span selected (docs/security.md#share-links): for how long, how many
// downloads; the link shown to copy. It opens in a browser, VLC or curl, with no account.

type Span = { camera: string; start: number; end: number };

export function sharePicker(span: () => Span | undefined): HTMLElement {
  const days = h(
    "select",
    { id: "share-days", "aria-label": "link valid for" },
    ...[1, 7, 30].map((d) => h("option", { value: d, selected: d === 7 }, `${d} day${d > 1 ? "s" : ""}`)),
  );
  const uses = h("input", {
    id: "share-uses",
    type: "number",
    min: 1,
    max: 10000,
    placeholder: "any number",
    "aria-label": "downloads allowed",
  });
  const make = h("button", { id: "share-make", type: "button" }, "Make share link");
  const link = h("input", {
    id: "share-url",
    type: "url",
    readonly: true,
    hidden: true,
    "aria-label": "share link",
  });
  const said = h("p.help", { id: "share-said", role: "status" });
  make.addEventListener("click", async () => {
    const s = span();
    if (!s) return void (said.textContent = "Choose the span first.");
    try {
      const made = await api.share(s, Number(days.value), uses.value ? Number(uses.value) : undefined);
      link.value = made.url;
      link.hidden = false;
      link.select();
      said.textContent =
        "Anyone with this link can watch and download the span until it expires or you revoke it (on the overview).";
    } catch (e) {
      said.textContent = `No link made: ${(e as Error).message}`;
    }
  });
  return h(
    "div.share",
    {},
    h("label", { for: "share-days" }, "Share this span for"),
    days,
    h("label", { for: "share-uses" }, "downloads"),
    uses,
    make,
    link,
    said,
  );
}
