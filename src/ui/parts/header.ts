import { h, rerender } from "../dom.ts";
import { api, type CamerasView } from "../api.ts";
import { myName } from "../me.ts";

// The bar at the top of every view: the name, the health badge, who is logged in, log out.
export function header(view?: CamerasView): HTMLElement {
  const healthy = view?.health === "ok";
  const logout = h("button.link", { type: "button" }, "Log out");
  logout.addEventListener("click", async () => {
    await api.logout();
    location.hash = "#/";
    rerender();
  });
  return h(
    "header",
    {},
    h("a.brand", { href: "#/" }, "camkeep"),
    view
      ? h(
          `span.badge.${healthy ? "good" : "bad"}`,
          { "data-health": view.health },
          healthy ? "healthy" : "unhealthy",
        )
      : null,
    view ? h("span.me", { "data-me": myName() }, myName()) : null,
    view ? logout : null,
  );
}
