import { h, app, rerender } from "../dom.ts";
import { api } from "../api.ts";

// The login view: the API token, traded for a session.
export function renderLogin(message?: string): void {
  const input = h("input", {
    id: "token",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "token-help",
  });
  const form = h(
    "form.login",
    {},
    h("h1", {}, "camkeep"),
    h("label", { for: "token" }, "API token"),
    input,
    h(
      "p.help",
      { id: "token-help" },
      "It is in the file named by api.token_file (default data/api-token), and in camkeep's start-up log.",
    ),
    message ? h("p.error", { role: "alert" }, message) : null,
    h("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.login(input.value.trim());
      rerender();
    } catch {
      renderLogin("That token is not right.");
    }
  });
  app.replaceChildren(form);
  input.focus();
}
