/** Compliance: quiet hours, frequency cap, stop words, help text, time zone; reply keywords; the suppression list. */
import { del, errorText, get, itemsOf, post, put, qs } from "../api.ts";
import { confirmDialog, empty, field, h, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";

interface Settings { quietHours: { start: string; end: string }; frequencyCapHours: number; stopWords: string[]; helpText: string; timezone: string }
interface Keyword { id: string; keyword: string; reply: string }
interface Suppression { phone: string; reason: string; at: string }

export async function complianceScreen(ctx: Ctx): Promise<void> {
  const settingsSlot = h("div", null, h("p", { class: "muted" }, "Loading…"));
  const kwSlot = h("div");
  const supSlot = h("div");
  ctx.root.append(h("h1", null, "Compliance"),
    h("section", { class: "card", "aria-labelledby": "rules-h" }, h("h2", { id: "rules-h" }, "Sending rules"), settingsSlot),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "kw-h" }, h("h2", { id: "kw-h" }, "Reply keywords"), kwSlot),
      h("section", { class: "card", "aria-labelledby": "sup-h" }, h("h2", { id: "sup-h" }, "Suppression list"), supSlot)));
  await Promise.all([drawSettings(settingsSlot), drawKeywords(kwSlot), drawSuppressions(supSlot)]);
}

async function drawSettings(slot: HTMLElement): Promise<void> {
  let s: Settings;
  try { s = await get<Settings>("/api/v1/settings/compliance"); } catch (e) { replace(slot, h("p", { class: "error", role: "alert" }, errorText(e))); return; }
  const start = h("input", { type: "time", name: "quietStart", value: s.quietHours.start, required: true });
  const end = h("input", { type: "time", name: "quietEnd", value: s.quietHours.end, required: true });
  const cap = h("input", { type: "number", name: "frequencyCapHours", min: 0, step: 1, value: s.frequencyCapHours, required: true });
  const stop = h("textarea", { name: "stopWords", rows: 3 }, s.stopWords.join(", "));
  const help = h("textarea", { name: "helpText", rows: 3, maxlength: 1600, required: true }, s.helpText);
  const zones = typeof (Intl as any).supportedValuesOf === "function" ? ((Intl as any).supportedValuesOf("timeZone") as string[]) : [];
  const tz = h("input", { name: "timezone", value: s.timezone, list: "tz-list", required: true });
  const submit = h("button", { type: "submit" }, "Save rules");
  const form = h("form", { "aria-labelledby": "rules-h" },
    h("div", { class: "grid-3" },
      field("Send from", start, "Recipient's local time"),
      field("Send until", end, "Earlier than “from” wraps past midnight"),
      field("Frequency cap (hours)", cap, "At most one campaign message per number in this window; 0 = off")),
    field("Extra stop words", stop, "Comma separated. Always on: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (START and UNSTOP lift)"),
    field("HELP reply", help),
    field("Company time zone", tz, "Used when a recipient's own time zone is unknown"),
    h("datalist", { id: "tz-list" }, zones.map((z) => h("option", { value: z }))),
    submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      await put("/api/v1/settings/compliance", {
        quietHours: { start: start.value, end: end.value }, frequencyCapHours: Number(cap.value),
        stopWords: stop.value.split(/[,\n]/).map((w) => w.trim()).filter(Boolean), helpText: help.value, timezone: tz.value.trim(),
      });
      toast("Rules saved");
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      submit.disabled = false;
    }
  });
  replace(slot, form);
}

async function drawKeywords(slot: HTMLElement): Promise<void> {
  const redraw = () => drawKeywords(slot);
  let items: Keyword[] = [];
  let error = "";
  try { items = itemsOf<Keyword>(await get("/api/v1/keywords")); } catch (e) { error = errorText(e); }
  const keyword = h("input", { name: "keyword", required: true, maxlength: 50, placeholder: "PRICES" });
  const reply = h("textarea", { name: "reply", required: true, maxlength: 1600, rows: 2 });
  const submit = h("button", { type: "submit" }, "Add keyword");
  const form = h("form", { "aria-label": "Add a reply keyword" }, field("Keyword", keyword, "Matched against the whole reply, any case"), field("Auto-reply", reply), submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await post("/api/v1/keywords", { keyword: keyword.value.trim(), reply: reply.value }); toast("Keyword added"); await redraw(); } catch (e) { toast(errorText(e), "error"); }
  });
  replace(slot,
    error ? h("p", { class: "error" }, error) : items.length
      ? table("Reply keywords", ["Keyword", "Reply", ""], items.map((k) => [h("strong", null, k.keyword), k.reply,
        h("button", { type: "button", class: "link danger", "aria-label": `Delete keyword ${k.keyword}`, onclick: async () => {
          if (!(await confirmDialog(`Delete the keyword ${k.keyword}?`, "Delete", true))) return;
          try { await del(`/api/v1/keywords/${encodeURIComponent(k.id)}`); await redraw(); } catch (e) { toast(errorText(e), "error"); }
        } }, "Delete")]))
      : empty("No keyword yet. A keyword answers a reply automatically, once."),
    form);
}

async function drawSuppressions(slot: HTMLElement): Promise<void> {
  const search = h("input", { type: "search", name: "phone", placeholder: "+1202", maxlength: 40 });
  const results = h("div", { "aria-live": "polite" });
  let cursor: string | undefined;
  let rows: Suppression[] = [];
  const load = async (more = false) => {
    if (!more) { rows = []; cursor = undefined; }
    try {
      const page = await get<{ items: Suppression[]; next?: string }>(`/api/v1/suppressions${qs({ phone: search.value.trim(), limit: 50, cursor })}`);
      rows = rows.concat(itemsOf<Suppression>(page));
      cursor = page.next;
      replace(results, rows.length ? [table("Suppressed numbers", ["Phone", "Reason", "Since", ""], rows.map((s) => [
        h("a", { href: `/inbox/${encodeURIComponent(s.phone)}`, class: "mono" }, s.phone), s.reason.replace(/_/g, " "), when(s.at),
        h("button", { type: "button", class: "link danger", "aria-label": `Remove ${s.phone} from the suppression list`, onclick: async () => {
          if (!(await confirmDialog(`Remove ${s.phone} from the suppression list? It can receive campaigns again.`, "Remove", true))) return;
          try { await del(`/api/v1/suppressions/${encodeURIComponent(s.phone)}`); toast("Removed"); await load(); } catch (e) { toast(errorText(e), "error"); }
        } }, "Remove"),
      ]), { id: "suppressions" }), cursor ? h("button", { type: "button", class: "secondary", onclick: () => load(true) }, "Load more") : null]
        : empty(search.value ? "No suppressed number starts with that." : "No suppressed number."));
    } catch (e) {
      replace(results, h("p", { class: "error" }, errorText(e)));
    }
  };
  let t: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener("input", () => { clearTimeout(t); t = setTimeout(() => load(), 250); });
  const phone = h("input", { name: "addPhone", required: true, maxlength: 40, placeholder: "+15551234567" });
  const reason = h("input", { name: "reason", maxlength: 100, placeholder: "manual" });
  const add = h("form", { class: "inline-form", "aria-label": "Suppress a number" }, field("Phone", phone), field("Reason", reason), h("button", { type: "submit" }, "Suppress"));
  add.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await post("/api/v1/suppressions", { phone: phone.value.trim(), ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) });
      toast(`${phone.value.trim()} suppressed`);
      phone.value = "";
      await load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  });
  replace(slot, field("Search by number prefix", search), results, h("h3", null, "Add a number"), add);
  await load();
}
