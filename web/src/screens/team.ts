/** Team: the company's users. Owners add users, change roles, set passwords and remove users; members see the list. */
import { del, errorText, get, itemsOf, patch, post } from "../api.ts";
import { badge, confirmDialog, field, h, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { state } from "../state.ts";

interface User { id: string; email: string; role: "owner" | "member"; createdAt: string; lastLoginAt?: string }

const ROLES: Array<[User["role"], string]> = [["member", "Member"], ["owner", "Owner"]];
const MIN_PASSWORD = 8;

export async function teamScreen(ctx: Ctx): Promise<void> {
  const isOwner = state.me?.user.role === "owner";
  const slot = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  const draw = async () => {
    try {
      const users = itemsOf<User>(await get("/api/v1/users"));
      replace(slot, table("Team", isOwner ? ["E-mail", "Role", "Last login", "Added", ""] : ["E-mail", "Role", "Last login", "Added"],
        users.map((u) => userRow(u, isOwner, draw)), { id: "team" }));
    } catch (e) {
      replace(slot, h("p", { class: "error", role: "alert" }, errorText(e)));
    }
  };
  ctx.root.append(h("h1", null, "Team"));
  ctx.root.append(
    h("section", { class: "card", "aria-labelledby": "team-h" }, h("h2", { id: "team-h" }, "Users of ", state.me?.company.name ?? "your company"),
      h("p", { class: "muted" }, isOwner
        ? "Owners manage the team; members use everything else. A company always keeps at least one owner. Removing a user or setting their password logs them out everywhere."
        : "Only owners can add, change or remove users."),
      slot));
  if (isOwner) ctx.root.append(h("section", { class: "card" }, addForm(draw)));
  await draw();
}

/** One table row; owners get a role picker, "Set password" and "Remove". */
function userRow(u: User, isOwner: boolean, redraw: () => Promise<void>): Array<Node | string> {
  const you = u.id === state.me?.user.id;
  const email = h("span", null, u.email, you ? h("span", { class: "muted" }, " (you)") : null);
  const cells: Array<Node | string> = [email, badge(u.role, "role"), u.lastLoginAt ? when(u.lastLoginAt) : "never", when(u.createdAt)];
  if (!isOwner) return cells;
  const role = h("select", { name: "role", "aria-label": `Role of ${u.email}` }, ROLES.map(([v, l]) => h("option", { value: v, selected: v === u.role }, l)));
  role.addEventListener("change", async () => {
    try {
      await patch(`/api/v1/users/${encodeURIComponent(u.id)}`, { role: role.value });
      toast(`${u.email} is now ${role.value === "owner" ? "an owner" : "a member"}`);
      if (you) location.reload(); // your own rights changed
      else await redraw();
    } catch (e) {
      role.value = u.role;
      toast(errorText(e), "error");
    }
  });
  cells[1] = role;
  cells.push(h("span", { class: "actions" },
    h("button", { type: "button", class: "link", "aria-label": `Set the password of ${u.email}`, onclick: () => void setPassword(u) }, "Set password"),
    h("button", { type: "button", class: "link danger", "aria-label": `Remove ${u.email}`, onclick: async () => {
      const text = you ? "Remove yourself from the team? You are logged out at once." : `Remove ${u.email}? Their sessions and API tokens stop working at once.`;
      if (!(await confirmDialog(text, "Remove", true))) return;
      try { await del(`/api/v1/users/${encodeURIComponent(u.id)}`); toast(`${u.email} removed`); await redraw(); } catch (e) { toast(errorText(e), "error"); }
    } }, "Remove")));
  return cells;
}

/** Asks for a new password for another user in a modal and sets it. */
function setPassword(u: User): Promise<void> {
  const input = h("input", { type: "password", name: "newUserPassword", autocomplete: "new-password", required: true, minlength: MIN_PASSWORD, maxlength: 1024 });
  const dlg = h("dialog", { class: "confirm", "aria-label": `Set the password of ${u.email}` },
    h("form", { method: "dialog" },
      h("p", null, `New password for ${u.email}. They are logged out everywhere and log in again with it.`),
      field("New password", input, `At least ${MIN_PASSWORD} characters.`),
      h("div", { class: "actions" },
        h("button", { value: "cancel", class: "secondary", formnovalidate: true }, "Cancel"),
        h("button", { value: "ok" }, "Set password"))));
  return new Promise((resolve) => {
    dlg.addEventListener("close", async () => {
      dlg.remove();
      if (dlg.returnValue === "ok") {
        try { await patch(`/api/v1/users/${encodeURIComponent(u.id)}`, { password: input.value }); toast(`Password of ${u.email} set`); } catch (e) { toast(errorText(e), "error"); }
      }
      resolve();
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** The owners' form to add a user with an initial password and a role. */
function addForm(onAdded: () => Promise<void>): HTMLElement {
  const email = h("input", { type: "email", name: "newEmail", required: true, maxlength: 320, autocomplete: "off", placeholder: "colleague@example.com" });
  const password = h("input", { type: "password", name: "newPassword", required: true, minlength: MIN_PASSWORD, maxlength: 1024, autocomplete: "new-password" });
  const role = h("select", { name: "newRole" }, ROLES.map(([v, l]) => h("option", { value: v }, l)));
  const submit = h("button", { type: "submit" }, "Add user");
  const form = h("form", { class: "inline-form", "aria-label": "Add a user" },
    field("E-mail", email), field("Initial password", password, `At least ${MIN_PASSWORD} characters; give it to them safely.`), field("Role", role), submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const u = await post<User>("/api/v1/users", { email: email.value.trim(), password: password.value, role: role.value });
      toast(`${u.email} added as ${u.role}`);
      email.value = "";
      password.value = "";
      await onAdded();
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      submit.disabled = false;
    }
  });
  return h("div", null, h("h2", null, "Add a user"), form);
}
