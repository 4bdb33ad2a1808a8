import type { Deps } from "../deps.ts";
import { getCampaign, putCampaignSync, readCounts, runningByAccount, type Campaign } from "../storage/campaigns.ts";
import { dispatchAccount, type DispatchResult } from "../services/dispatch.ts";
import { flushExpiredParts } from "../services/inbound.ts";
import { pruneStatMinutes } from "../services/stats-retention.ts";
import type { Throttle } from "../services/throttle.ts";

export interface TickOptions {
  /** Sends of one minute are spread over this many ms (60,000 in production). */
  spreadMs?: number;
  /** How long a drained campaign waits for late delivery reports before it is completed. */
  completionWaitMs?: number;
}

/**
 * The minute tick, a plain function of (deps, now): starts campaigns whose startAt has come, hands each
 * account with running campaigns its quota for this minute, completes campaigns that are done, prunes a
 * batch of per-minute stats past their retention, and stores concatenated replies that stayed incomplete.
 * Safe to run at any time and twice: messages already queued are not taken again.
 */
export async function tick(deps: Deps, throttle: Throttle, now: number, opts: TickOptions = {}): Promise<DispatchResult[]> {
  await startDueCampaigns(deps, now);
  const results: DispatchResult[] = [];
  for (const [accountId, campaigns] of runningByAccount(deps.storage)) {
    results.push(await dispatchAccount(deps, throttle, accountId, campaigns, now, opts.spreadMs ?? 60_000));
  }
  await completeDrainedCampaigns(deps, now, opts.completionWaitMs ?? 15 * 60_000);
  await pruneStatMinutes(deps, now);
  await flushExpiredParts(deps, now);
  return results;
}

async function startDueCampaigns(deps: Deps, now: number): Promise<void> {
  const s = deps.storage;
  const due: Campaign[] = [];
  for (const { value } of s.db("campaigns").getRange()) {
    const c = value as Campaign;
    if (c.status === "paused" && c.generated && c.startAt !== undefined && c.startAt <= now) due.push(c);
  }
  if (due.length === 0) return;
  await s.env.transaction(() => {
    for (const c of due) {
      const cur = getCampaign(s, c.companyId, c.id);
      if (cur?.status === "paused" && cur.startAt !== undefined && cur.startAt <= now) {
        putCampaignSync(s, { ...cur, status: "running", startAt: undefined, startedAt: cur.startedAt ?? now });
      }
    }
  });
}

/**
 * A running campaign is completed when nothing is pending, queued, being sent or unknown, and every sent
 * message has a final status — or `waitMs` has passed since it drained (late delivery reports).
 */
async function completeDrainedCampaigns(deps: Deps, now: number, waitMs: number): Promise<void> {
  const s = deps.storage;
  for (const { key } of s.db("runningCampaigns").getRange()) {
    const campaignId = (key as string[])[1]!;
    const companyId = s.db("runningCampaigns").get(key) as string;
    const c = getCampaign(s, companyId, campaignId);
    if (!c || !c.generated) continue;
    const n = readCounts(s, campaignId);
    const open = (n.pending ?? 0) + (n.queued ?? 0) + (n.sending ?? 0) + (n.unknown ?? 0);
    if (open > 0) continue;
    const drainedAt = c.drainedAt ?? now;
    const done = (n.sent ?? 0) === 0 || now - drainedAt >= waitMs;
    await s.env.transaction(() => {
      const cur = getCampaign(s, companyId, campaignId);
      if (cur?.status !== "running") return;
      putCampaignSync(s, done ? { ...cur, status: "completed", completedAt: now } : { ...cur, drainedAt });
    });
  }
}
