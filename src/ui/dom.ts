/** The page's DOM helpers: its root, the viewer's time zone, an element builder, and a re-render. */

export const app = document.getElementById("app")!;
export const zone = usableZone(Intl.DateTimeFormat().resolvedOptions().timeZone);

/**
 * The browser's zone, or UTC when it names none (a machine without a zone reports "Etc/Unknown",
 * which no date formatting accepts — nor camkeep's API; such a browser's local time is UTC).
 */
function usableZone(name: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return name;
  } catch {
    return "UTC";
  }
}

/** Builds an element: h("a.card", { href }, child, …). */
export function h<K extends keyof HTMLElementTagNameMap>(
  spec: K | `${K}.${string}`,
  attrs: Record<string, string | boolean | number | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const [tag, ...classes] = spec.split(".") as [K, ...string[]];
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    // Styles through the CSSOM: the page's CSP forbids style attributes, not this.
    if (k === "style") el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

let views = 0;

/**
 * A view begins: the function it returns says whether it is still the one wanted. A view that
 * awaits the API checks it before it draws, so one asked for earlier and answered later (the
 * network is slow, the user clicked on) never replaces the view asked for after it.
 */
export function newView(): () => boolean {
  const mine = ++views;
  return () => mine === views;
}

/** Renders the page again for the address it has (after a login or logout, which keep the address). */
export function rerender(): void {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
