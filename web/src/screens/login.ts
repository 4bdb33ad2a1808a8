/** Login, with a first-run hint (how to create the first user with the CLI) when the server has no user yet. */
import { errorText, get, post } from "../api.ts";
import { field, h } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { navigate, state, type Me } from "../state.ts";

export async function loginScreen(ctx: Ctx): Promise<void> {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit" }, "Log in");
  const hint = h("div", { class: "hint-slot" });
  const form = h("form", { class: "card login-card", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, h("span", { class: "logo", "aria-hidden": "true" }, "P"), "Pombo"),
    hint,
    field("E-mail", email),
    field("Password", password),
    error,
    submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const me = await post<Me>("/api/v1/auth/login", { email: email.value, password: password.value });
      state.me = me;
      const next = ctx.query.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/", true);
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  ctx.root.append(h("div", { class: "login-page" }, form));
  email.focus();
  try {
    const setup = await get<{ hasUsers: boolean }>("/api/setup");
    if (!setup.hasUsers && !ctx.left) {
      hint.append(h("div", { class: "notice", role: "note" },
        h("strong", null, "First run: no user exists yet."),
        h("p", null, "Create the first owner on the server, in Pombo's directory:"),
        h("pre", null, h("code", null, "bun run pombo user add --email you@example.com --password 'a long password' --company 'Your company'")),
        h("p", null, "Then log in here with that e-mail and password.")));
    }
  } catch {
    // the hint is optional
  }
}
