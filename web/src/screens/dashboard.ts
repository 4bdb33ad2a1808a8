/** Dashboard: messages per minute (sent / delivered / failed), replies and opt-outs today, running campaigns, queue health. */
import { errorText, get, isMissingRoute, itemsOf } from "../api.ts";
import { campaignSummary, type Campaign } from "../campaign-util.ts";
import { lineChart } from "../chart.ts";
import { EP } from "../endpoints.ts";
import { empty, h, num, replace, table } from "../dom.ts";
import type { Ctx } from "../router.ts";

interface Point { t: string | number; sent?: number; delivered?: number; failed?: number }
interface Today { replies?: number; optOuts?: number; sent?: number; delivered?: number; failed?: number }
export interface QueueStat { name: string; depth: number; delayed: number; running: number; failed: number; perMinute: number }

const HOURS = 6;

export async function dashboardScreen(ctx: Ctx): Promise<void> {
  const cards = h("div", { class: "cards" });
  const chartSlot = h("div");
  const chartEmpty = h("div", { class: "empty chart-note" }, "Loading statistics…");
  const campaignsSlot = h("div", { "aria-live": "polite" });
  const queuesSlot = h("div");
  const chart = lineChart(`Messages per minute over the last ${HOURS} hours`, [
    { label: "Sent", color: "#2563eb" },
    { label: "Delivered", color: "#15803d" },
    { label: "Failed", color: "#b91c1c" },
  ]);
  ctx.onLeave(() => chart.destroy());
  chart.el.hidden = true;
  chartSlot.append(chart.el, chartEmpty);
  ctx.root.append(
    h("h1", null, "Dashboard"),
    cards,
    h("section", { class: "card", "aria-labelledby": "chart-h" }, h("h2", { id: "chart-h" }, `Messages per minute, last ${HOURS} hours`), chartSlot),
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "run-h" }, h("h2", { id: "run-h" }, "Campaigns"), campaignsSlot),
      h("section", { class: "card", "aria-labelledby": "q-h" }, h("h2", { id: "q-h" }, "Queue health"), queuesSlot)));

  let campaigns: Campaign[] = [];
  let today: Today | undefined;
  let statsError = "";
  const card = (label: string, value: string, note?: string) =>
    h("div", { class: "stat" }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label), note ? h("small", null, note) : null);
  const drawCards = () => {
    const running = campaigns.filter((c) => c.status === "running").length;
    replace(cards,
      card("Sent today", num(today?.sent)),
      card("Delivered today", num(today?.delivered)),
      card("Failed today", num(today?.failed)),
      card("Replies today", num(today?.replies)),
      card("Opt-outs today", num(today?.optOuts)),
      card("Running campaigns", num(running)));
  };

  ctx.every(2000, async () => {
    try {
      campaigns = itemsOf<Campaign>(await get("/api/v1/campaigns"));
      const active = campaigns.filter((c) => ["running", "pending", "paused"].includes(c.status));
      const recent = campaigns.filter((c) => !active.includes(c))
        .sort((a, b) => String(b.completedAt ?? b.createdAt ?? "").localeCompare(String(a.completedAt ?? a.createdAt ?? ""))).slice(0, Math.max(0, 5 - active.length));
      replace(campaignsSlot, active.length ? active.map(campaignSummary) : empty("No campaign is running.", h("a", { href: "/campaigns/new" }, "Create a campaign")),
        recent.length ? [h("h3", null, "Recently finished"), recent.map(campaignSummary)] : null);
    } catch (e) {
      replace(campaignsSlot, h("p", { class: "error" }, errorText(e)));
    }
    try {
      const queues = itemsOf<QueueStat>(await get("/api/v1/queues"));
      replace(queuesSlot, queueHealth(queues));
    } catch (e) {
      replace(queuesSlot, h("p", { class: "muted" }, isMissingRoute(e) ? "Queue statistics are not available on this server yet." : errorText(e)));
    }
    try {
      today = (await get<{ today: Today }>(EP.statsOverview)).today;
    } catch {
      today = undefined; // the cards show "—"
    }
    drawCards();
  });
  ctx.every(10_000, async () => {
    try {
      const pts = itemsOf<Point>(await get(EP.statsSeries(HOURS * 60)));
      statsError = "";
      const times = pts.map((p) => (typeof p.t === "number" ? (p.t > 1e12 ? p.t / 1000 : p.t) : Date.parse(p.t) / 1000));
      const hasData = pts.some((p) => (p.sent ?? 0) + (p.delivered ?? 0) + (p.failed ?? 0) > 0);
      chart.el.hidden = !hasData;
      chartEmpty.hidden = hasData;
      chartEmpty.textContent = "No message sent in this period yet.";
      if (hasData) chart.update(times, [pts.map((p) => p.sent ?? 0), pts.map((p) => p.delivered ?? 0), pts.map((p) => p.failed ?? 0)]);
    } catch (e) {
      const text = isMissingRoute(e) ? "Delivery statistics are not available on this server yet." : errorText(e);
      if (text !== statsError) {
        statsError = text;
        chart.el.hidden = true;
        chartEmpty.hidden = false;
        chartEmpty.textContent = text;
      }
    }
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
