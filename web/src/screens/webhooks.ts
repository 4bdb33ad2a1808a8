/** Outgoing webhooks: the company's endpoints (events, signing secret) and each endpoint's delivery log. */
import { del, errorText, get, isMissingRoute, itemsOf, post } from "../api.ts";
import { EP } from "../endpoints.ts";
import { badge, confirmDialog, copyButton, empty, field, h, nextId, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";

interface Endpoint { id: string; url: string; events: string[]; createdAt: string }
interface Delivery { id: string; event?: string; status?: string; attempts?: number; lastStatus?: number; lastError?: string; createdAt?: string; lastAttemptAt?: string }

const EVENTS: Array<[string, string]> = [["message.status", "Message status changed"], ["inbound.received", "Reply received"], ["contact.opted_out", "Number opted out"]];

export async function webhooksScreen(ctx: Ctx): Promise<void> {
  const listSlot = h("div", null, h("p", { class: "muted" }, "Loading…"));
  const logSlot = h("div", { "aria-live": "polite" });
  ctx.root.append(h("h1", null, "Webhooks"),
    h("section", { class: "card", "aria-labelledby": "ep-h" }, h("h2", { id: "ep-h" }, "Endpoints"),
      h("p", { class: "muted" }, "Pombo POSTs JSON events to these URLs, signed with X-Pombo-Signature: sha256=<hex HMAC-SHA256 of the body> using the endpoint's secret. Failed deliveries are retried with backoff."),
      listSlot, newForm(() => draw())),
    h("section", { class: "card", "aria-labelledby": "log-h" }, h("h2", { id: "log-h" }, "Delivery log"), logSlot));
  let selected = "";
  const draw = async () => {
    let items: Endpoint[];
    try { items = itemsOf<Endpoint>(await get("/api/v1/webhook-endpoints")); } catch (e) { replace(listSlot, h("p", { class: "error", role: "alert" }, errorText(e))); return; }
    if (!items.some((e) => e.id === selected)) selected = items[0]?.id ?? "";
    replace(listSlot, items.length ? table("Endpoints", ["URL", "Events", "Created", ""], items.map((e) => [
      h("span", { class: "mono wrap" }, e.url), h("span", null, e.events.map((x) => badge(x, "event"))), when(e.createdAt),
      h("span", { class: "actions" },
        h("button", { type: "button", class: "link", "aria-pressed": String(e.id === selected), onclick: () => { selected = e.id; void draw(); } }, "Show log"),
        h("button", { type: "button", class: "link danger", "aria-label": `Delete endpoint ${e.url}`, onclick: async () => {
          if (!(await confirmDialog(`Delete the endpoint ${e.url}? It receives nothing more.`, "Delete", true))) return;
          try { await del(`/api/v1/webhook-endpoints/${encodeURIComponent(e.id)}`); await draw(); } catch (err) { toast(errorText(err), "error"); }
        } }, "Delete")),
    ])) : empty("No endpoint yet. Add one below to receive events in your own systems."));
    await drawLog();
  };
  const drawLog = async () => {
    if (!selected) { replace(logSlot, empty("Deliveries appear here once an endpoint exists.")); return; }
    try {
      const items = itemsOf<Delivery>(await get(EP.deliveries(selected)));
      replace(logSlot, items.length ? table("Deliveries", ["Event", "Status", "Attempts", "Last response", "Created", "Last attempt"], items.map((d) => [
        d.event ?? "—", d.status ? badge(d.status) : "—", String(d.attempts ?? "—"),
        h("span", null, d.lastStatus ? `HTTP ${d.lastStatus}` : "", d.lastError ? h("span", { class: "bad" }, ` ${d.lastError}`) : d.lastStatus ? "" : "—"),
        when(d.createdAt), when(d.lastAttemptAt),
      ])) : empty("No delivery to this endpoint yet."));
    } catch (e) {
      replace(logSlot, h("p", { class: "muted" }, isMissingRoute(e) ? "The delivery log is not available on this server yet." : errorText(e)));
    }
  };
  await draw();
  ctx.every(5000, drawLog);
}

function newForm(onCreated: () => Promise<void>): HTMLElement {
  const url = h("input", { type: "url", name: "url", required: true, placeholder: "https://example.com/pombo-events", maxlength: 2000 });
  const boxes = EVENTS.map(([v, l]) => ({ v, box: h("input", { type: "checkbox", name: "events", value: v, checked: true, id: nextId("ev") }), l }));
  const secret = h("input", { name: "secret", required: true, minlength: 16, maxlength: 256, autocomplete: "off", class: "mono" });
  const gen = () => { const b = crypto.getRandomValues(new Uint8Array(24)); secret.value = [...b].map((x) => x.toString(16).padStart(2, "0")).join(""); };
  gen();
  const form = h("form", { "aria-label": "Add an endpoint" },
    h("h3", null, "Add an endpoint"),
    field("URL", url),
    h("fieldset", { class: "checks" }, h("legend", null, "Events"), boxes.map((b) => h("label", { class: "check", for: b.box.id }, b.box, ` ${b.l} `, h("code", null, b.v)))),
    h("div", { class: "copy-row" }, field("Signing secret (write-only: copy it now)", secret), h("button", { type: "button", class: "secondary small", onclick: gen }, "New secret"), copyButton(secret.value, "Copy")),
    h("button", { type: "submit" }, "Add endpoint"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const events = boxes.filter((b) => b.box.checked).map((b) => b.v);
    if (!events.length) { toast("Choose at least one event", "error"); return; }
    try {
      await post("/api/v1/webhook-endpoints", { url: url.value.trim(), events, secret: secret.value });
      toast("Endpoint added");
      url.value = "";
      gen();
      await onCreated();
    } catch (e) {
      toast(errorText(e), "error");
    }
  });
  return form;
}
