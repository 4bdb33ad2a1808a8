/**
 * Inbox: conversations by number, newest first, with opt-out state; one conversation shows outbound and
 * inbound messages in time order, each reply tied to the message it answered.
 */
import { del, errorText, get, itemsOf, post, qs } from "../api.ts";
import { badge, confirmDialog, empty, h, replace, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";

interface Inbound { id: string; from: string; to: string; body: string; receivedAt: string; replyTo?: string; intent?: string }
interface Outbound { id: string; campaignId?: string; from: string; to: string; body: string; status: string; createdAt?: string; sentAt?: string; kind?: string }
interface Suppression { phone: string; reason: string; at: string }

export async function inboxScreen(ctx: Ctx): Promise<void> {
  const phone = ctx.params.phone;
  const listSlot = h("div", { class: "conv-list" }, h("p", { class: "muted" }, "Loading…"));
  const threadSlot = h("div", { class: "thread" });
  ctx.root.append(h("h1", null, "Inbox"),
    h("div", { class: `inbox ${phone ? "has-thread" : ""}` },
      h("section", { class: "card conversations", "aria-labelledby": "conv-h" }, h("h2", { id: "conv-h" }, "Conversations"), listSlot),
      h("section", { class: "card", "aria-labelledby": "thread-h" }, phone ? [h("p", { class: "back" }, h("a", { href: "/inbox" }, "← All conversations")), threadSlot]
        : [h("h2", { id: "thread-h" }, "Conversation"), empty("Choose a conversation to read it.")])));
  const suppressedSet = async () => {
    try {
      return new Map(itemsOf<Suppression>(await get("/api/v1/suppressions?limit=1000")).map((s) => [s.phone, s]));
    } catch {
      return new Map<string, Suppression>();
    }
  };
  let lastList = "";
  ctx.every(2000, async () => {
    try {
      const [inbound, supp] = await Promise.all([get(`/api/v1/inbound?limit=500`).then(itemsOf<Inbound>), suppressedSet()]);
      const convs = new Map<string, Inbound[]>();
      for (const m of inbound) (convs.get(m.from) ?? convs.set(m.from, []).get(m.from)!).push(m);
      const key = JSON.stringify([inbound.map((m) => m.id), [...supp.keys()]]);
      if (key === lastList) return;
      lastList = key;
      replace(listSlot, convs.size
        ? h("ul", { class: "convs" }, [...convs].map(([from, ms]) => h("li", null,
          h("a", { href: `/inbox/${encodeURIComponent(from)}`, "aria-current": from === phone ? "page" : false, class: "conv" },
            h("div", { class: "row-between" }, h("span", { class: "mono" }, from), h("small", { class: "muted" }, when(ms[0]!.receivedAt))),
            h("div", { class: "row-between" }, h("span", { class: "snippet" }, ms[0]!.body), supp.has(from) ? badge("opted out", "opted_out") : null)))))
        : empty("No reply yet. Replies to your campaigns appear here."));
    } catch (e) {
      replace(listSlot, h("p", { class: "error" }, errorText(e)));
    }
    if (phone) await drawThread(phone, threadSlot);
  });
}

let lastThread = "";
async function drawThread(phone: string, slot: HTMLElement): Promise<void> {
  try {
    const [outbound, inbound, supp] = await Promise.all([
      get(`/api/v1/messages${qs({ phone, limit: 200 })}`).then(itemsOf<Outbound>),
      get(`/api/v1/inbound${qs({ phone, limit: 200 })}`).then(itemsOf<Inbound>),
      get(`/api/v1/suppressions${qs({ phone, limit: 5 })}`).then(itemsOf<Suppression>),
    ]);
    const optOut = supp.find((s) => s.phone === phone);
    const key = JSON.stringify([phone, outbound.map((m) => [m.id, m.status]), inbound.map((m) => m.id), optOut?.at]);
    if (key === lastThread && slot.childElementCount) return;
    lastThread = key;
    const byId = new Map(outbound.map((m) => [m.id, m]));
    const items = [
      ...outbound.map((m) => ({ t: Date.parse(m.sentAt ?? m.createdAt ?? "") || 0, el: outboundBubble(m) })),
      ...inbound.map((m) => ({ t: Date.parse(m.receivedAt) || 0, el: inboundBubble(m, byId) })),
    ].sort((a, b) => a.t - b.t);
    replace(slot,
      h("h2", { id: "thread-h" }, h("span", { class: "mono" }, phone)),
      optOutBar(phone, optOut, () => { lastThread = ""; return drawThread(phone, slot); }),
      items.length ? h("ol", { class: "bubbles", "aria-label": `Messages with ${phone}` }, items.map((i) => i.el)) : empty("No message with this number."));
  } catch (e) {
    replace(slot, h("p", { class: "error", role: "alert" }, errorText(e)));
  }
}

function outboundBubble(m: Outbound): HTMLElement {
  return h("li", { class: "bubble out", id: `msg-${m.id}` },
    h("div", { class: "bubble-body" }, m.body),
    h("div", { class: "bubble-meta" }, badge(m.status), " ", when(m.sentAt ?? m.createdAt),
      m.campaignId ? [" · ", h("a", { href: `/campaigns/${encodeURIComponent(m.campaignId)}` }, "campaign")] : m.kind ? ` · ${m.kind.replace(/_/g, " ")}` : null));
}

function inboundBubble(m: Inbound, outbound: Map<string, Outbound>): HTMLElement {
  const answered = m.replyTo ? outbound.get(m.replyTo) : undefined;
  return h("li", { class: "bubble in", id: `in-${m.id}` },
    m.replyTo ? h("a", { class: "reply-to", href: `#msg-${m.replyTo}` }, "↩ In reply to: ", answered ? `“${answered.body.slice(0, 80)}${answered.body.length > 80 ? "…" : ""}”` : "an earlier message") : null,
    h("div", { class: "bubble-body" }, m.body),
    h("div", { class: "bubble-meta" }, when(m.receivedAt), m.intent && m.intent !== "message" ? [" · ", badge(m.intent, "intent")] : null));
}

function optOutBar(phone: string, s: Suppression | undefined, redraw: () => Promise<void>): HTMLElement {
  if (s) {
    return h("div", { class: "notice warn opt-state", "data-state": "opted-out" },
      h("strong", null, "Opted out"), ` (${s.reason.replace(/_/g, " ")}, ${when(s.at)}). This number receives nothing more from your company. `,
      h("button", { type: "button", class: "secondary small", onclick: async () => {
        if (!(await confirmDialog(`Lift the opt-out of ${phone}? Only do this if the person asked to receive messages again.`, "Lift opt-out", true))) return;
        try { await del(`/api/v1/suppressions/${encodeURIComponent(phone)}`); toast("Opt-out lifted"); await redraw(); } catch (e) { toast(errorText(e), "error"); }
      } }, "Lift opt-out"));
  }
  return h("div", { class: "notice opt-state", "data-state": "subscribed" }, "Receives messages. ",
    h("button", { type: "button", class: "secondary small", onclick: async () => {
      if (!(await confirmDialog(`Suppress ${phone}? It will receive nothing more from your company.`, "Suppress", true))) return;
      try { await post("/api/v1/suppressions", { phone, reason: "manual" }); toast("Number suppressed"); await redraw(); } catch (e) { toast(errorText(e), "error"); }
    } }, "Suppress"));
}
