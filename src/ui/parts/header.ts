import { h, rerender } from "../dom.ts";
import { api, type Status } from "../api.ts";

// The bar at the top of every view: the name, the health badge, log out.
export function header(status?: Status): HTMLElement {
  const healthy = status?.health.status === "ok";
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
    status
      ? h(
          `span.badge.${healthy ? "good" : "bad"}`,
          { "data-health": status.health.status },
          healthy ? "healthy" : "unhealthy",
        )
      : null,
    status ? logout : null,
  );
}
