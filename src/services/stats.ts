/**
 * The dashboard's numbers, kept cheap: per-company per-minute counters (`statsMinutes`) bumped in the
 * same transaction as the change they count, read back as small range scans.
 */
import type { Deps } from "../deps.ts";
import { localMinutes } from "../domain/quiet-hours.ts";
import { getCampaign } from "../storage/campaigns.ts";
import type { Message } from "../storage/messages.ts";
import { bumpStatSync, minuteOf, readStatMinutes, STAT_KINDS, type StatBatch, type StatKind } from "../storage/stats.ts";
import { campaignView } from "./campaigns.ts";
import { getComplianceSettings } from "./compliance.ts";

const isFailed = (m: Pick<Message, "status">) => m.status === "failed" || m.status === "undelivered";

/**
 * Counts one message's move from `before` to `after` in the minute buckets: sent (its `sentAt` was
 * just set), delivered, failed (failed or undelivered), into `stats`, which the transaction that writes
 * `after` flushes.
 */
export function recordMessageStatsSync(deps: Pick<Deps, "clock">, stats: StatBatch, before: Message, after: Message): void {
  const now = deps.clock.now();
  if (before.sentAt === undefined && after.sentAt !== undefined) stats.add(after.companyId, now, "sent");
  if (after.status === "delivered" && before.status !== "delivered") stats.add(after.companyId, now, "delivered");
  if (isFailed(after) && !isFailed(before)) stats.add(after.companyId, now, "failed");
}

/** Counts one reply or opt-out of a company now. Call inside the transaction that stores it. */
export function recordInboundStatSync(deps: Pick<Deps, "storage" | "clock">, companyId: string, kind: "replies" | "optOuts"): void {
  bumpStatSync(deps.storage, companyId, deps.clock.now(), kind);
}

const zero = (): Record<StatKind, number> => ({ sent: 0, delivered: 0, failed: 0, replies: 0, optOuts: 0 });

/** Totals since local midnight in the company's time zone (compliance settings). */
export function statsToday(deps: Pick<Deps, "storage" | "clock">, companyId: string): Record<StatKind, number> {
  const now = deps.clock.now();
  const end = minuteOf(now);
  const start = end - localMinutes(now, getComplianceSettings(deps.storage, companyId).timezone);
  const total = zero();
  for (const row of readStatMinutes(deps.storage, companyId, start, end).values()) {
    for (const k of STAT_KINDS) total[k] += row[k] ?? 0;
  }
  return total;
}

/** The company's running campaigns with their counters (from the running index: no scan of all campaigns). */
export function runningCampaigns(deps: Pick<Deps, "storage">, companyId: string) {
  const out = [];
  for (const { key, value } of deps.storage.db("runningCampaigns").getRange()) {
    if (value !== companyId) continue;
    const c = getCampaign(deps.storage, companyId, (key as [string, string])[1]);
    if (c) out.push({ id: c.id, name: c.name, status: c.status, counts: campaignView(deps, c).counts });
  }
  return out;
}

/** `GET /api/v1/stats/overview`: today's totals, running campaigns, queue health. */
export function statsOverview(deps: Deps, companyId: string) {
  const { replies, optOuts, ...messages } = statsToday(deps, companyId);
  return { today: { ...messages, replies, optOuts }, running: runningCampaigns(deps, companyId), queues: deps.queue.stats() };
}

export const MAX_SERIES_MINUTES = 7 * 24 * 60;

/** `minutes` per-minute buckets ending with the current minute, oldest first, zeros included. */
export function statsTimeseries(deps: Pick<Deps, "storage" | "clock">, companyId: string, minutes: number) {
  const n = Math.max(1, Math.min(MAX_SERIES_MINUTES, Math.floor(minutes)));
  const end = minuteOf(deps.clock.now());
  const rows = readStatMinutes(deps.storage, companyId, end - n + 1, end);
  const out = [];
  for (let m = end - n + 1; m <= end; m++) {
    const r = rows.get(m);
    out.push({ t: new Date(m * 60_000).toISOString(), sent: r?.sent ?? 0, delivered: r?.delivered ?? 0, failed: r?.failed ?? 0 });
  }
  return out;
}
