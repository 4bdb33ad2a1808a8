/** Settings: your password, and API tokens (created and shown once, revoked). The users are on the Team page. */
import { del, errorText, get, itemsOf, post } from "../api.ts";
import { confirmDialog, copyButton, empty, field, h, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { state } from "../state.ts";
import { ownPasswordForm } from "./own-password.ts";

interface Token { id: string; name: string; createdAt: string }

export async function settingsScreen(ctx: Ctx): Promise<void> {
  const tokensSlot = h("div");
  const created = h("div", { "aria-live": "polite" });
  const name = h("input", { name: "tokenName", required: true, maxlength: 100, placeholder: "e.g. CRM sync" });
  const form = h("form", { class: "inline-form", "aria-label": "Create an API token" }, field("Token name", name), h("button", { type: "submit" }, "Create token"));
  ctx.root.append(h("h1", null, "Settings"),
    h("section", { class: "card", "aria-labelledby": "tok-h" }, h("h2", { id: "tok-h" }, "API tokens"),
      h("p", { class: "muted" }, "Scripts authenticate with ", h("code", null, "Authorization: Bearer <token>"), ". See the ", h("a", { href: "/api/docs", target: "_blank", rel: "noopener" }, "API documentation"), "."),
      created, tokensSlot, form),
    h("section", { class: "card", "aria-labelledby": "pwd-h" }, h("h2", { id: "pwd-h" }, "Your password"),
      h("p", { class: "muted" }, "Logged in as ", h("strong", null, state.me?.user.email ?? ""), ". Changing the password logs you out everywhere else. The company's users are on the ",
        h("a", { href: "/team" }, "Team"), " page."),
      ownPasswordForm()));
  const drawTokens = async () => {
    try {
      const items = itemsOf<Token>(await get("/api/v1/tokens"));
      replace(tokensSlot, items.length ? table("API tokens", ["Name", "Created", ""], items.map((t) => [t.name, when(t.createdAt),
        h("button", { type: "button", class: "link danger", "aria-label": `Revoke token ${t.name}`, onclick: async () => {
          if (!(await confirmDialog(`Revoke the token “${t.name}”? Scripts using it stop working at once.`, "Revoke", true))) return;
          try { await del(`/api/v1/tokens/${encodeURIComponent(t.id)}`); toast("Token revoked"); await drawTokens(); } catch (e) { toast(errorText(e), "error"); }
        } }, "Revoke")]), { id: "tokens" }) : empty("No API token."));
    } catch (e) {
      replace(tokensSlot, h("p", { class: "error" }, errorText(e)));
    }
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const t = await post<{ id: string; token: string }>("/api/v1/tokens", { name: name.value.trim() });
      replace(created, h("div", { class: "notice ok", role: "status" },
        h("strong", null, `Token “${name.value.trim()}” created. Copy it now: it is shown only once.`),
        h("div", { class: "copy-row" }, h("code", { class: "token", id: "new-token" }, t.token), copyButton(t.token))));
      name.value = "";
      await drawTokens();
    } catch (e) {
      toast(errorText(e), "error");
    }
  });
  await drawTokens();
}
