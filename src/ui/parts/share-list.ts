import { h } from "../dom.ts";
import { api, type Share } from "../api.ts";
import { clock } from "../time.ts";

// An admin's list of share links (docs/security.md#share-links): what each opens, until when, how
// often it was used; the active ones revocable. Filled once the overview is shown.

export function shareList(): HTMLElement {
  const list = h("ul.shares", {});
  const section = h(
    "section.shares",
    { "aria-label": "share links", hidden: true },
    h("h2", {}, "Share links"),
    list,
  );
  const load = async () => {
    const shares = await api.shares();
    section.hidden = shares.length === 0;
    list.replaceChildren(...shares.slice(0, 50).map((s) => item(s, load)));
  };
  void load().catch(() => {});
  return section;
}

function item(s: Share, reload: () => Promise<void>): HTMLElement {
  const when = (t: number) => `${new Date(t * 1000).toLocaleDateString()} ${clock(t)}`;
  const revoke = h("button.link", { type: "button", "data-revoke": s.id }, "Revoke");
  revoke.addEventListener("click", async () => {
    await api.revokeShare(s.id);
    await reload();
  });
  return h(
    "li",
    { "data-share": s.id, "data-status": s.status },
    h("a", { href: s.url }, `${s.camera} ${when(s.start)}–${clock(s.end)}`),
    ` · ${s.status}${s.status === "active" ? ` until ${when(s.expires_at)}` : ""} · used ${s.uses}${s.max_uses === null ? "" : ` of ${s.max_uses}`}`,
    s.note ? h("small", {}, ` “${s.note}”`) : null,
    s.status === "active" ? revoke : null,
  );
}
