import type { Deps } from "../deps.ts";
import type { StatusUpdate } from "../drivers/driver.ts";
import { canAdvance } from "../domain/message.ts";
import { batchedWrite, type TxnBatch } from "../storage/txn-batch.ts";
import { getMessage, type Message, messageIdByProviderId, putMessageSync } from "../storage/messages.ts";
import { putSuppressionSync } from "../storage/suppressions.ts";
import { emitEventSync } from "./events.ts";
import { recordMessageStatsSync } from "./stats.ts";

/**
 * Applies delivery reports of one account in one transaction: provider id → message, forward-only
 * status moves (duplicates and out-of-order reports change nothing), campaign counters in the same
 * transaction, carrier opt-outs suppress the number. Returns the reports whose message is not known yet
 * (a report can overtake our own write of the provider id) so the caller can retry them later.
 */
export async function applyStatusUpdates(deps: Deps, accountId: string, updates: StatusUpdate[]): Promise<StatusUpdate[]> {
  return batchedWrite(deps.storage, (b) => applyStatusUpdatesIn(deps, b, accountId, updates));
}

/** `applyStatusUpdates` inside a caller's write transaction whose end flushes `b`. */
export function applyStatusUpdatesIn(deps: Deps, b: TxnBatch, accountId: string, updates: StatusUpdate[]): StatusUpdate[] {
  const s = deps.storage;
  const unknown: StatusUpdate[] = [];
  for (const u of updates) {
    const id = messageIdByProviderId(s, accountId, u.providerId);
    const m = id ? getMessage(s, id) : undefined;
    if (m) applyOne(deps, b, m, u);
    else unknown.push(u);
  }
  return unknown;
}

/** Moves one message forward for one report. Call inside a write transaction whose end flushes `b`. */
export function applyOne(deps: Deps, { counters, stats }: TxnBatch, m: Message, u: StatusUpdate): void {
  const s = deps.storage;
  if (u.optOut) putSuppressionSync(s, m.companyId, m.to, { reason: "carrier_opt_out", at: deps.clock.now() });
  if (!canAdvance(m.status, u.status)) return;
  const next: Message = { ...m, status: u.status, providerId: m.providerId ?? u.providerId };
  if (u.errorCode) next.errorCode = u.errorCode;
  if (u.errorMessage) next.error = u.errorMessage;
  if (next.sentAt === undefined && u.status !== "queued") next.sentAt = u.at ?? deps.clock.now();
  putMessageSync(s, next);
  recordMessageStatsSync(deps, stats, m, next);
  if (!m.providerId) s.db("providerIds").putSync([m.accountId, u.providerId], m.id);
  counters.move(m.campaignId, m.status, next.status);
  emitEventSync(deps, m.companyId, "message.status", {
    id: m.id, campaignId: m.campaignId, to: m.to, from: m.from, status: next.status, providerId: next.providerId, errorCode: next.errorCode,
  });
}
