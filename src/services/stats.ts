/**
 * The dashboard's numbers, kept cheap: per-company per-minute counters (`statsMinutes`) bumped in the
 * same transaction as the change they count, read back as small range scans.
 */
import type { Deps } from "../deps.ts";
import { localMinutes } from "../domain/quiet-hours.ts";
import { getCampaign, type Campaign } from "../storage/campaigns.ts";
import type { Message } from "../storage/messages.ts";
import { bumpStatSync, minuteOf, readCampaignMinutes, readStatMinutes, STAT_KINDS, type StatBatch, type StatKind } from "../storage/stats.ts";
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
  const count = (kind: StatKind) => {
    stats.add(after.companyId, now, kind);
    if (after.campaignId) stats.addCampaign(after.campaignId, now, kind);
  };
  if (before.sentAt === undefined && after.sentAt !== undefined) count("sent");
  if (after.status === "delivered" && before.status !== "delivered") count("delivered");
  if (isFailed(after) && !isFailed(before)) count("failed");
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
  return series(readStatMinutes(deps.storage, companyId, end - n + 1, end), end - n + 1, end);
}

/**
 * One campaign's per-minute buckets {t, sent, delivered, failed}, oldest first, zeros included: the last
 * `minutes` minutes up to now (or up to its completion), or by default from its start (or creation) — at most
 * MAX_SERIES_MINUTES, the latest ones.
 */
export function campaignTimeseries(deps: Pick<Deps, "storage" | "clock">, c: Pick<Campaign, "id" | "createdAt" | "startedAt" | "completedAt">, minutes?: number) {
  const end = minuteOf(c.completedAt ?? deps.clock.now());
  const from = minutes !== undefined ? end - Math.floor(minutes) + 1 : minuteOf(c.startedAt ?? c.createdAt);
  const start = Math.min(end, Math.max(from, end - MAX_SERIES_MINUTES + 1));
  return series(readCampaignMinutes(deps.storage, c.id, start, end), start, end);
}

function series(rows: Map<number, Partial<Record<StatKind, number>>>, from: number, end: number) {
  const out = [];
  for (let m = from; m <= end; m++) {
    const r = rows.get(m);
    out.push({ t: new Date(m * 60_000).toISOString(), sent: r?.sent ?? 0, delivered: r?.delivered ?? 0, failed: r?.failed ?? 0 });
  }
  return out;
}
