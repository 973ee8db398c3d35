import { api, Unauthorized } from "./api.ts";
import { app, h, newView } from "./dom.ts";
import { readCameraLink } from "./links.ts";
import { isAdmin, setMe } from "./me.ts";
import { header } from "./parts/header.ts";
import { renderCamera } from "./views/camera.ts";
import { renderLogin } from "./views/login.ts";
import { renderOverview } from "./views/overview.ts";

/**
 * camkeep's page: an overview of cameras and storage, and per camera a day timeline to play and
 * export from. Plain DOM, no framework. This is the router: routes live in the URL fragment;
 * views (views/) are built from parts (parts/) with the helpers of dom.ts.
 */

async function route(): Promise<void> {
  const wanted = newView();
  // A link may carry the token in the fragment (never sent to the server): log in, then drop it.
  const fromLink = /^#token=([^&]+)/.exec(location.hash)?.[1];
  if (fromLink) {
    history.replaceState(null, "", `${location.pathname}#/`);
    try {
      await api.login(decodeURIComponent(fromLink));
    } catch {
      return renderLogin("The token in that link is not right.");
    }
  }
  try {
    // Who is logged in and their cameras; an admin's page adds the status (storage, tiers, reasons).
    const view = await api.cameras();
    setMe(view.me);
    const link = readCameraLink(location.hash);
    if (link) await renderCamera(view, link.camera, link, wanted);
    else {
      const status = isAdmin() ? await api.status() : undefined;
      if (wanted()) renderOverview(view, status);
    }
  } catch (e) {
    if (e instanceof Unauthorized) return renderLogin();
    app.replaceChildren(
      header(),
      h("main", {}, h("p.error", { role: "alert" }, `Something went wrong: ${(e as Error).message}`)),
    );
  }
}

window.addEventListener("hashchange", () => void route());
void route();
