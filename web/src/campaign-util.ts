/** Shapes and small computations shared by the campaign screens and the dashboard. */
import { badge, h, num, progress } from "./dom.ts";

export interface Counts {
  total: number; pending: number; queued: number; sent: number; delivered: number; undelivered: number; failed: number; skipped: number;
}

export interface Campaign {
  id: string; name: string; accountId: string; listIds: string[]; body: string; status: string; generated?: boolean;
  startAt?: string; createdAt?: string; startedAt?: string; completedAt?: string;
  counts: Counts; skipped: Record<string, number>; missingFields?: number;
}

/** Messages that reached a final state (or were handed to the provider): what the progress bar shows. */
export function processed(c: Counts): number {
  return (c.sent ?? 0) + (c.delivered ?? 0) + (c.undelivered ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0);
}

/** The campaign's progress bar with "n of total" caption. */
export function campaignProgress(c: Campaign): HTMLElement {
  const total = c.counts?.total ?? 0;
  const done = processed(c.counts ?? ({} as Counts));
  const pct = total ? Math.floor((done / total) * 100) : 0;
  const caption = c.status === "pending" && !c.generated ? `preparing messages… ${num(total)} so far` : `${num(done)} of ${num(total)} processed (${pct}%)`;
  return progress(done, total, `Progress of ${c.name}`, caption);
}

/** The status pill of a campaign. */
export function statusBadge(status: string): HTMLElement {
  return badge(status);
}

/** A link-ish summary row used in lists of campaigns. */
export function campaignSummary(c: Campaign): HTMLElement {
  return h("div", { class: "campaign-summary" },
    h("div", { class: "row-between" }, h("a", { href: `/campaigns/${encodeURIComponent(c.id)}` }, c.name), statusBadge(c.status)),
    campaignProgress(c));
}
