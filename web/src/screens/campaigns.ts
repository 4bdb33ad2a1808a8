/** Campaigns: every campaign with its status and live progress. */
import { errorText, get, itemsOf } from "../api.ts";
import { campaignProgress, statusBadge, type Campaign } from "../campaign-util.ts";
import { empty, h, replace, table, when } from "../dom.ts";
import type { Ctx } from "../router.ts";

export async function campaignsScreen(ctx: Ctx): Promise<void> {
  const slot = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  ctx.root.append(
    h("div", { class: "row-between" }, h("h1", null, "Campaigns"), h("a", { href: "/campaigns/new", class: "button" }, "New campaign")),
    h("section", { class: "card" }, slot));
  ctx.every(2000, async () => {
    try {
      const items = itemsOf<Campaign>(await get("/api/v1/campaigns"))
        .sort((a, b) => String(b.createdAt ?? "").localeCompare(String(a.createdAt ?? "")));
      replace(slot, items.length
        ? table("Campaigns", ["Name", "Status", "Progress", "Created"], items.map((c) => [
          h("a", { href: `/campaigns/${encodeURIComponent(c.id)}` }, c.name), statusBadge(c.status), campaignProgress(c), when(c.createdAt),
        ]), { class: "campaigns stack" })
        : empty("No campaign yet.", h("a", { href: "/campaigns/new", class: "button" }, "Create your first campaign")));
    } catch (e) {
      replace(slot, h("p", { class: "error", role: "alert" }, errorText(e)));
    }
  });
}
