import { h, app, rerender } from "../dom.ts";
import { api, Unauthorized } from "../api.ts";

// The login view: a user's name and password, or (no name) the API token, traded for a session.
export function renderLogin(message?: string): void {
  const name = h("input", { id: "name", type: "text", autocomplete: "username", autocapitalize: "none" });
  const password = h("input", {
    id: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "login-help",
  });
  const form = h(
    "form.login",
    {},
    h("h1", {}, "camkeep"),
    h("label", { for: "name" }, "Name"),
    name,
    h("label", { for: "password" }, "Password"),
    password,
    h(
      "p.help",
      { id: "login-help" },
      "Leave the name empty to log in with the API token instead: it is in the file named by api.token_file (default data/api-token), and in camkeep's start-up log.",
    ),
    message ? h("p.error", { role: "alert" }, message) : null,
    h("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const who = name.value.trim().toLowerCase();
    try {
      if (who) await api.loginAs(who, password.value);
      else await api.login(password.value.trim());
      rerender();
    } catch (err) {
      renderLogin(
        err instanceof Unauthorized
          ? who
            ? "That name and password do not match."
            : "That token is not right."
          : /429/.test((err as Error).message)
            ? "Too many failed attempts: wait a little, then try again."
            : `Not logged in: ${(err as Error).message}`,
      );
    }
  });
  app.replaceChildren(form);
  name.focus();
}
