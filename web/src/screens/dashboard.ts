/** Dashboard: messages per minute (sent / delivered / failed), replies and opt-outs today, running campaigns, queue health. */
import { errorText, get, isMissingRoute, itemsOf } from "../api.ts";
import { campaignSummary, type Campaign } from "../campaign-util.ts";
import { lineChart } from "../chart.ts";
import { EP } from "../endpoints.ts";
import { empty, h, num, replace, table } from "../dom.ts";
import type { Ctx } from "../router.ts";

interface Point { t: string | number; sent?: number; delivered?: number; failed?: number }
interface Stats { perMinute?: Point[]; today?: { replies?: number; optOuts?: number; sent?: number; delivered?: number; failed?: number } }
export interface QueueStat { name: string; depth: number; delayed: number; running: number; failed: number; perMinute: number }

const HOURS = 6;

export async function dashboardScreen(ctx: Ctx): Promise<void> {
  const cards = h("div", { class: "cards" });
  const chartSlot = h("div");
  const campaignsSlot = h("div", { "aria-live": "polite" });
  const queuesSlot = h("div");
  const chart = lineChart(`Messages per minute over the last ${HOURS} hours`, [
    { label: "Sent", color: "#2563eb" },
    { label: "Delivered", color: "#15803d" },
    { label: "Failed", color: "#b91c1c" },
  ]);
  ctx.onLeave(() => chart.destroy());
  chartSlot.append(chart.el);
  ctx.root.append(
    h("h1", null, "Dashboard"),
    cards,
    h("section", { class: "card", "aria-labelledby": "chart-h" }, h("h2", { id: "chart-h" }, `Messages per minute, last ${HOURS} hours`), chartSlot),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "run-h" }, h("h2", { id: "run-h" }, "Active campaigns"), campaignsSlot),
      h("section", { class: "card", "aria-labelledby": "q-h" }, h("h2", { id: "q-h" }, "Queue health"), queuesSlot)));

  let campaigns: Campaign[] = [];
  let stats: Stats | undefined;
  let statsError = "";
  const card = (label: string, value: string, note?: string) =>
    h("div", { class: "stat" }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label), note ? h("small", null, note) : null);
  const drawCards = () => {
    const running = campaigns.filter((c) => c.status === "running").length;
    replace(cards,
      card("Replies today", num(stats?.today?.replies)),
      card("Opt-outs today", num(stats?.today?.optOuts)),
      card("Running campaigns", num(running)),
      card("Sent today", num(stats?.today?.sent)));
  };

  ctx.every(2000, async () => {
    try {
      campaigns = itemsOf<Campaign>(await get("/api/v1/campaigns"));
      const active = campaigns.filter((c) => ["running", "pending", "paused"].includes(c.status));
      replace(campaignsSlot, active.length ? active.map(campaignSummary) : empty("No campaign is running.", h("a", { href: "/campaigns/new" }, "Create a campaign")));
    } catch (e) {
      replace(campaignsSlot, h("p", { class: "error" }, errorText(e)));
    }
    try {
      const queues = itemsOf<QueueStat>(await get("/api/v1/queues"));
      replace(queuesSlot, queueHealth(queues));
    } catch (e) {
      replace(queuesSlot, h("p", { class: "muted" }, isMissingRoute(e) ? "Queue statistics are not available on this server yet." : errorText(e)));
    }
    drawCards();
  });
  ctx.every(10_000, async () => {
    try {
      stats = await get<Stats>(EP.stats(HOURS));
      statsError = "";
      const pts = stats.perMinute ?? [];
      const times = pts.map((p) => (typeof p.t === "number" ? (p.t > 1e12 ? p.t / 1000 : p.t) : Date.parse(p.t) / 1000));
      chart.update(times, [pts.map((p) => p.sent ?? 0), pts.map((p) => p.delivered ?? 0), pts.map((p) => p.failed ?? 0)]);
      chartSlot.querySelector(".chart-note")?.remove();
      if (!pts.length) chartSlot.append(h("p", { class: "muted chart-note" }, "No messages in this period yet."));
    } catch (e) {
      const text = isMissingRoute(e) ? "Delivery statistics are not available on this server yet." : errorText(e);
      if (text !== statsError) {
        statsError = text;
        chartSlot.querySelector(".chart-note")?.remove();
        chartSlot.append(h("p", { class: "muted chart-note" }, text));
      }
    }
    drawCards();
  });
}

/** A compact table of queues, failing ones first. */
export function queueHealth(queues: QueueStat[]): HTMLElement {
  if (!queues.length) return empty("No queues reported.");
  const rows = [...queues].sort((a, b) => b.failed - a.failed).map((q) => [
    h("a", { href: "/queues" }, q.name), num(q.depth), num(q.running), num(q.perMinute),
    q.failed ? h("span", { class: "bad" }, num(q.failed)) : "0",
  ]);
  return table("Queues", ["Queue", "Waiting", "Running", "Per minute", "Failed"], rows, { class: "compact" });
}
