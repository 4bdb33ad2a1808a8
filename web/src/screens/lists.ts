/** Contact lists: the company's lists with their sizes, and a form to create one. */
import { errorText, get, itemsOf, post } from "../api.ts";
import { empty, field, h, num, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";
import { navigate } from "../state.ts";

export interface ContactList { id: string; name: string; contacts: number; createdAt?: string }

export async function listsScreen(ctx: Ctx): Promise<void> {
  const name = h("input", { name: "name", required: true, maxlength: 200, placeholder: "e.g. Spring newsletter" });
  const submit = h("button", { type: "submit" }, "Create list");
  const form = h("form", { class: "inline-form", "aria-label": "Create a list" }, field("New list name", name), submit);
  const slot = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const list = await post<ContactList>("/api/v1/lists", { name: name.value.trim() });
      toast(`List “${list.name}” created`);
      navigate(`/lists/${encodeURIComponent(list.id)}`);
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      submit.disabled = false;
    }
  });
  ctx.root.append(h("h1", null, "Lists"), h("section", { class: "card" }, form), h("section", { class: "card" }, h("h2", null, "Your lists"), slot));
  ctx.every(5000, async () => {
    try {
      const lists = itemsOf<ContactList>(await get("/api/v1/lists"));
      replace(slot, lists.length
        ? table("Lists", ["Name", "Contacts", "Created"], lists.map((l) => [h("a", { href: `/lists/${encodeURIComponent(l.id)}` }, l.name), num(l.contacts), when(l.createdAt)]))
        : empty("No list yet. Create one above, then upload a CSV file to it."));
    } catch (e) {
      replace(slot, h("p", { class: "error", role: "alert" }, errorText(e)));
    }
  });
}
