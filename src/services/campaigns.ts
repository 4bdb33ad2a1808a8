import type { AuthContext, Deps } from "../deps.ts";
import { nextCampaignStatus, type CampaignAction } from "../domain/campaign.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { parseTemplate } from "../domain/template.ts";
import { CounterBatch, getCampaign, putCampaignSync, readCounts, type Campaign } from "../storage/campaigns.ts";
import { getMessage, putMessageSync, PendingChanges } from "../storage/messages.ts";
import { newId } from "../storage/ids.ts";
import { getList } from "../storage/lists.ts";

export interface CampaignInput {
  name: string;
  accountId: string;
  listIds: string[];
  body: string;
  startAt?: string;
}

/** Job that turns a campaign's lists into messages, one batch per run. */
export const GENERATE_JOB = "campaign.generate";

/**
 * Creates a campaign in status `pending` and queues its generation, in one transaction.
 * @throws DomainError invalid (empty body, bad startAt, no lists) / not_found (account or list of another company).
 */
export async function createCampaign(deps: Deps, auth: AuthContext, input: CampaignInput): Promise<Campaign> {
  const { storage: s, clock } = deps;
  const companyId = auth.company.id;
  const name = input.name.trim();
  if (!name) throw new DomainError("invalid", "invalid_name", "name is required");
  if (!input.body.trim()) throw new DomainError("invalid", "empty_body", "the message body is empty");
  if (parseTemplate(input.body).length === 0) throw new DomainError("invalid", "empty_body", "the message body is empty");
  const listIds = [...new Set(input.listIds)];
  if (listIds.length === 0) throw new DomainError("invalid", "no_lists", "choose at least one list");
  if (!s.db("accounts").get([companyId, input.accountId])) throw notFound("account");
  for (const id of listIds) if (!getList(s, companyId, id)) throw notFound("list");
  let startAt: number | undefined;
  if (input.startAt !== undefined) {
    startAt = Date.parse(input.startAt);
    if (!Number.isFinite(startAt)) throw new DomainError("invalid", "invalid_start_at", "startAt must be an ISO-8601 time");
  }
  const c: Campaign = {
    v: 1, id: newId(), companyId, name, accountId: input.accountId, listIds, body: input.body,
    status: "pending", startAt, generated: false, cursor: { list: 0 }, createdAt: clock.now(),
  };
  await s.env.transaction(() => {
    putCampaignSync(s, c);
    deps.queue.enqueueSync({ name: GENERATE_JOB, data: { companyId, campaignId: c.id }, key: `generate:${c.id}` });
  });
  return c;
}

/**
 * Applies start / pause / resume / cancel: one status flip, O(1) whatever the campaign's size.
 * Pending messages stay where they are; the tick and the send job read the status.
 * @throws DomainError not_found / conflict.
 */
export async function changeCampaignStatus(deps: Deps, auth: AuthContext, id: string, action: CampaignAction): Promise<Campaign> {
  const s = deps.storage;
  return s.env.transaction(() => {
    const c = getCampaign(s, auth.company.id, id);
    if (!c) throw notFound("campaign");
    const status = nextCampaignStatus(c.status, action, c.generated);
    const next: Campaign = { ...c, status };
    if (action === "start") next.startAt = undefined;
    if (action === "start" && status === "pending") next.startRequested = true;
    if (status === "running" && !c.startedAt) next.startedAt = deps.clock.now();
    putCampaignSync(s, next);
    if (status === "canceled") deps.queue.enqueueSync({ name: CANCEL_JOB, data: { companyId: c.companyId, campaignId: c.id }, key: `cancel:${c.id}` });
    return next;
  });
}

/** Job that marks a canceled campaign's pending messages skipped, in batches (the flip itself is instant). */
export const CANCEL_JOB = "campaign.cancel";

/** The public view of a campaign: record, counters and skipped reasons. */
export function campaignView(deps: Pick<Deps, "storage">, c: Campaign) {
  const raw = readCounts(deps.storage, c.id);
  const counts = { total: 0, pending: 0, queued: 0, sending: 0, unknown: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, skipped: 0 };
  const skipped: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith("skip:")) {
      if (v) skipped[k.slice(5)] = v;
    } else if (k in counts) counts[k as keyof typeof counts] = v;
  }
  // In the public shape, messages being handed over (and those whose hand-over is being settled) count as queued.
  const { sending, unknown, ...rest } = counts;
  return {
    id: c.id, name: c.name, accountId: c.accountId, listIds: c.listIds, body: c.body, status: c.status,
    generated: c.generated, startAt: iso(c.startAt), createdAt: iso(c.createdAt), startedAt: iso(c.startedAt), completedAt: iso(c.completedAt),
    counts: { ...rest, queued: rest.queued + sending + unknown, unknown },
    skipped,
    missingFields: raw.missingFields ?? 0,
  };
}

function iso(t: number | undefined): string | undefined {
  return t === undefined ? undefined : new Date(t).toISOString();
}

/** Pending messages settled per transaction when a campaign is canceled. */
const CANCEL_BATCH = 10_000;

/**
 * Marks up to one batch of a canceled campaign's pending messages `skipped: canceled` and queues the next
 * batch. Safe to run twice (it only touches messages still pending).
 */
export async function cancelPendingBatch(deps: Deps, companyId: string, campaignId: string): Promise<void> {
  const s = deps.storage;
  const c = getCampaign(s, companyId, campaignId);
  if (!c || c.status !== "canceled") return;
  const ids: string[] = [];
  for (const key of s.db("pendingIndex").getKeys({ start: [campaignId], end: [campaignId, "\uffff"], limit: CANCEL_BATCH })) {
    ids.push((key as string[])[3]!);
  }
  if (ids.length === 0) return;
  await s.env.transaction(() => {
    const counters = new CounterBatch(s);
    const removals = new PendingChanges(s);
    for (const id of ids) {
      const m = getMessage(s, id);
      if (!m || m.status !== "pending") continue;
      removals.remove(m);
      putMessageSync(s, { ...m, status: "skipped", reason: "canceled" });
      counters.move(campaignId, "pending", "skipped");
      counters.add(campaignId, "skip:canceled", 1);
    }
    removals.flushSync();
    counters.flushSync();
    deps.queue.enqueueSync({ name: CANCEL_JOB, data: { companyId, campaignId }, key: `cancel:${campaignId}:${ids[ids.length - 1]}` });
  });
}
