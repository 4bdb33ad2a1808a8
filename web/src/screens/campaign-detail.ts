/**
 * One campaign: status with start / pause / resume / cancel (confirmed), live progress and counters,
 * a per-minute delivery chart since it started, skipped reasons, and the messages with their statuses.
 */
import { errorText, get, itemsOf, post, qs } from "../api.ts";
import { campaignProgress, statusBadge, type Campaign } from "../campaign-util.ts";
import { lineChart } from "../chart.ts";
import { badge, confirmDialog, empty, field, h, num, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";

interface Message { id: string; to: string; from: string; body: string; segments: number; encoding: string; status: string; reason?: string; sentAt?: string; error?: string; createdAt?: string }

const ACTIONS: Record<string, Array<{ action: string; label: string; confirm: string; danger?: boolean }>> = {
  pending: [{ action: "start", label: "Start", confirm: "Start sending as soon as the messages are prepared?" }, { action: "cancel", label: "Cancel campaign", confirm: "Cancel this campaign? Pending messages will not be sent. This cannot be undone.", danger: true }],
  paused: [{ action: "start", label: "Start sending", confirm: "Start sending this campaign now?" }, { action: "cancel", label: "Cancel campaign", confirm: "Cancel this campaign? Pending messages will not be sent. This cannot be undone.", danger: true }],
  running: [{ action: "pause", label: "Pause", confirm: "Pause sending? Messages already handed to the provider still go out." }, { action: "cancel", label: "Cancel campaign", confirm: "Cancel this campaign? Pending messages will not be sent. This cannot be undone.", danger: true }],
};
const STATUSES = ["", "pending", "queued", "sent", "delivered", "undelivered", "failed", "skipped"];

export async function campaignDetailScreen(ctx: Ctx): Promise<void> {
  const id = ctx.params.id!;
  const base = `/api/v1/campaigns/${encodeURIComponent(id)}`;
  const title = h("h1", null, "Campaign");
  const actionsSlot = h("div", { class: "actions" });
  const head = h("div", { id: "campaign-status", "aria-live": "polite" });
  const countsSlot = h("div");
  const skippedSlot = h("div");
  const info = h("div", { class: "muted" });
  const chart = lineChart("Messages sent, delivered and failed per minute since the campaign started", [
    { label: "Sent", color: "#2563eb" }, { label: "Delivered", color: "#15803d" }, { label: "Failed", color: "#b91c1c" },
  ], 180);
  ctx.onLeave(() => chart.destroy());
  const chartEmpty = empty("Nothing sent yet: the chart fills in minute by minute as the campaign sends.");
  const statusFilter = h("select", { name: "status" }, STATUSES.map((s) => h("option", { value: s }, s || "all statuses")));
  const msgsSlot = h("div");
  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: "/campaigns" }, "Campaigns"), " / "),
    h("div", { class: "row-between" }, title, actionsSlot), info,
    h("section", { class: "card" }, head, countsSlot),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "dl-h" }, h("h2", { id: "dl-h" }, "Delivery per minute"), chart.el, chartEmpty),
      h("section", { class: "card", "aria-labelledby": "sk-h" }, h("h2", { id: "sk-h" }, "Skipped, by reason"), skippedSlot)),
    h("section", { class: "card", "aria-labelledby": "m-h" }, h("div", { class: "row-between" }, h("h2", { id: "m-h" }, "Messages"), field("Show", statusFilter)), msgsSlot));

  let last: Campaign | undefined;
  let busy = false;
  const act = async (a: { action: string; confirm: string; label: string; danger?: boolean }) => {
    if (!(await confirmDialog(a.confirm, a.label, a.danger))) return;
    busy = true;
    try {
      const r = await post<{ status: string }>(`${base}/${a.action}`);
      toast(`Campaign is now ${r.status}`);
      await refresh();
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      busy = false;
    }
  };
  const refresh = async () => {
    let c: Campaign;
    try {
      c = await get<Campaign>(base);
    } catch (e) {
      replace(head, h("p", { class: "error", role: "alert" }, errorText(e)));
      return;
    }
    const changed = c.status !== last?.status;
    last = c;
    title.replaceChildren(c.name, " ", statusBadge(c.status));
    document.title = `${c.name} · Pombo`;
    info.textContent = [c.startAt ? `Scheduled for ${when(c.startAt)}` : "", c.startedAt ? `Started ${when(c.startedAt)}` : "", c.completedAt ? `Finished ${when(c.completedAt)}` : ""].filter(Boolean).join(" · ");
    if (changed || !busy) {
      const acts = ACTIONS[c.status] ?? [];
      const resume = c.status === "paused" && c.startedAt ? [{ action: "resume", label: "Resume", confirm: "Resume sending this campaign?", danger: false }] : [];
      const list = c.status === "paused" && c.startedAt ? [...resume, ...acts.filter((a) => a.action !== "start")] : acts;
      replace(actionsSlot, list.map((a) => h("button", { type: "button", class: a.danger ? "danger secondary" : "", onclick: () => act(a) }, a.label)));
    }
    replace(head, campaignProgress(c));
    const k = c.counts;
    replace(countsSlot, h("dl", { class: "result-grid counts" },
      (["total", "pending", "queued", "sent", "delivered", "undelivered", "failed", "skipped"] as const).map((key) =>
        h("div", { class: "result", "data-key": key }, h("dt", null, key), h("dd", null, num(k[key]))))),
    c.missingFields ? h("p", { class: "muted" }, `${num(c.missingFields)} messages had an empty field.`) : null);
    const reasons = Object.entries(c.skipped ?? {}).sort((a, b) => b[1] - a[1]);
    replace(skippedSlot, reasons.length ? table("Skipped reasons", ["Reason", "Messages"], reasons.map(([r, n]) => [r.replace(/_/g, " "), num(n)]), { id: "skipped" }) : empty("Nothing skipped."));
    await refreshChart();
  };
  let chartAt = 0;
  const refreshChart = async () => {
    // Minute buckets change at most once a minute per bucket: every 10 s is live enough.
    if (Date.now() - chartAt < 10_000) return;
    chartAt = Date.now();
    try {
      const rows = await get<Array<{ t: string; sent: number; delivered: number; failed: number }>>(`${base}/timeseries`);
      const sent = rows.some((r) => r.sent || r.delivered || r.failed);
      chart.el.hidden = !sent;
      chartEmpty.hidden = sent;
      if (!sent) return;
      // A line needs two points (else uPlot picks an arbitrary, years-wide range): a campaign that ran within one
      // minute gets the empty minute before it.
      const points = rows.length > 1 ? rows : [{ t: new Date(Date.parse(rows[0]!.t) - 60_000).toISOString(), sent: 0, delivered: 0, failed: 0 }, ...rows];
      chart.update(points.map((r) => Date.parse(r.t) / 1000), [points.map((r) => r.sent), points.map((r) => r.delivered), points.map((r) => r.failed)]);
    } catch {
      chartAt = 0; // try again at the next refresh
    }
  };

  let msgs: Message[] = [];
  let cursor: string | undefined;
  let pages = 1;
  const loadMessages = async (more = false) => {
    if (!more) { msgs = []; cursor = undefined; }
    try {
      const limit = more ? 50 : 50 * pages;
      const page = await get<{ items: Message[]; next?: string }>(`/api/v1/messages${qs({ campaignId: id, status: statusFilter.value, limit, cursor: more ? cursor : undefined })}`);
      msgs = msgs.concat(itemsOf<Message>(page));
      cursor = page.next;
      if (more) pages++;
      replace(msgsSlot, msgs.length ? [messagesTable(msgs), cursor ? h("button", { type: "button", class: "secondary", onclick: () => loadMessages(true) }, "Load more") : null]
        : empty(statusFilter.value ? `No ${statusFilter.value} message.` : "No message yet: they appear as the campaign is prepared."));
    } catch (e) {
      replace(msgsSlot, h("p", { class: "error" }, errorText(e)));
    }
  };
  statusFilter.addEventListener("change", () => { pages = 1; void loadMessages(); });
  ctx.every(2000, async () => {
    const before = last?.status;
    await refresh();
    if (!last || ["running", "pending"].includes(last.status) || last.status !== before || msgs.length === 0) await loadMessages();
  });
}

function messagesTable(msgs: Message[]): HTMLElement {
  return table("Messages", ["To", "Status", "Segments", "Sent", "Message"], msgs.map((m) => [
    h("a", { href: `/inbox/${encodeURIComponent(m.to)}`, class: "mono" }, m.to),
    h("span", null, badge(m.status), m.reason ? h("small", { class: "muted" }, ` ${m.reason.replace(/_/g, " ")}`) : null, m.error ? h("small", { class: "bad" }, ` ${m.error}`) : null),
    `${m.segments} · ${m.encoding}`, when(m.sentAt), h("span", { class: "body-cell" }, m.body),
  ]), { id: "messages", class: "stack" });
}
