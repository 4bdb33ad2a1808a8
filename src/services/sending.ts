import type { Deps } from "../deps.ts";
import { DriverError } from "../drivers/driver.ts";
import { isInsideWindow } from "../domain/quiet-hours.ts";
import { getAccountById } from "../storage/accounts.ts";
import { CounterBatch, getCampaign } from "../storage/campaigns.ts";
import { batchedWrite } from "../storage/txn-batch.ts";
import { getMessage, type Message, PendingChanges, putMessageSync } from "../storage/messages.ts";
import { getRecipient, putRecipientSync } from "../storage/recipients.ts";
import { isSuppressed, putSuppressionSync } from "../storage/suppressions.ts";
import { RetryLaterError } from "../queue/types.ts";
import { toDriverAccount } from "./account-config.ts";
import { getComplianceSettings } from "./compliance.ts";
import { RECONCILE_JOB } from "./reconcile.ts";
import { recordMessageStatsSync } from "./stats.ts";
import type { Throttle } from "./throttle.ts";

/** Job that hands one queued message to its provider. */
export const SEND_JOB = "message.send";

/** A send job carries everything the driver needs; the record is read only to check its state. */
export interface SendJob {
  messageId: string;
  companyId: string;
  accountId: string;
  to: string;
  from: string;
  body: string;
  tz: string;
}

const SEND_TIMEOUT_MS = 15_000;

/**
 * The abort signal for a driver call: one `AbortSignal.timeout` per second of sends, shared (a timer per message
 * cost ~10 µs each at thousands a second); a send gets between 14 and 15 s. Real time, like the timer itself.
 */
let shared: { second: number; signal: AbortSignal } | undefined;
function sendSignal(): AbortSignal {
  const second = Math.floor(performance.now() / 1000);
  if (shared?.second !== second || shared.signal.aborted) shared = { second, signal: AbortSignal.timeout(SEND_TIMEOUT_MS - 1000) };
  return shared.signal;
}

type Claim = { ok: true; m: Message } | { ok: false };

/**
 * Moves a queued message to `sending` (the intent, recorded before the side effect), or settles it
 * without sending when a rule says so: campaign paused → back to pending; canceled → skipped;
 * suppressed → skipped; outside quiet hours → back to pending. A message found in `sending`
 * (a crash between intent and result) is never re-sent blindly: it becomes `unknown` and is reconciled.
 */
async function claim(deps: Deps, job: SendJob): Promise<Claim> {
  const s = deps.storage;
  const now = deps.clock.now();
  // Claims of concurrent send jobs share one transaction (and one counter write).
  return batchedWrite(s, ({ counters }): Claim => {
    const m = getMessage(s, job.messageId);
    if (!m) return { ok: false };
    const set = (next: Message) => {
      putMessageSync(s, next);
      counters.move(m.campaignId, m.status, next.status);
      if (next.reason) counters.add(m.campaignId!, `skip:${next.reason}`, 1);
    };
    if (m.status === "sending") {
      set({ ...m, status: "unknown" });
      enqueueReconcileSync(deps, m.id, now);
      return { ok: false };
    }
    if (m.status !== "queued") return { ok: false };
    if (m.campaignId) {
      const c = getCampaign(s, m.companyId, m.campaignId);
      const settings = getComplianceSettings(s, m.companyId);
      const outside = !isInsideWindow(settings.quietHours, m.tz || settings.timezone, now);
      if (!c || c.status === "canceled") return set({ ...m, status: "skipped", reason: "canceled" }), { ok: false };
      if (c.status !== "running" || outside) {
        set({ ...m, status: "pending" });
        const pending = new PendingChanges(s);
        pending.add(m);
        pending.flushSync();
        return { ok: false };
      }
    }
    if (m.kind !== "stop_confirm" && isSuppressed(s, m.companyId, m.to)) return set({ ...m, status: "skipped", reason: "suppressed" }), { ok: false };
    const next: Message = { ...m, status: "sending" };
    set(next);
    return { ok: true, m: next };
  });
}

/**
 * Runs one send job: claim, call the driver, record the outcome. Safe to run twice (the claim only
 * succeeds from `queued`). The only place that turns a DriverError into an outcome.
 * @throws RetryLaterError for throttling and transient failures (the message goes back to queued first).
 */
export async function sendMessage(deps: Deps, throttle: Throttle, job: SendJob): Promise<void> {
  const c = await claim(deps, job);
  if (!c.ok) return;
  const account = getAccountById(deps.storage, job.accountId);
  const driver = account && deps.drivers.get(account.driver);
  if (!account || !driver) return settle(deps, c.m, { status: "failed", error: "account or driver not found", errorCode: "no_account" });
  try {
    const res = await driver.send(toDriverAccount(deps, account), { messageId: job.messageId, from: job.from, to: job.to, body: job.body }, sendSignal());
    await settle(deps, c.m, { status: "sent", providerId: res.providerId, sentAt: deps.clock.now() });
  } catch (e) {
    const err = e instanceof DriverError ? e : new DriverError("unknown_outcome", String((e as Error)?.message ?? e));
    await onDriverError(deps, throttle, c.m, err);
  }
}

async function onDriverError(deps: Deps, throttle: Throttle, m: Message, e: DriverError): Promise<void> {
  const now = deps.clock.now();
  switch (e.kind) {
    case "throttled":
      throttle.hit(m.accountId, now, e.retryAfterMs ?? 1000);
      await settle(deps, m, { status: "queued" });
      throw new RetryLaterError(`throttled: ${e.message}`, e.retryAfterMs ?? 1000);
    case "transient":
      await settle(deps, m, { status: "queued" });
      throw e;
    case "opted_out":
      return settle(deps, m, { status: "failed", error: e.message, errorCode: e.code ?? "opted_out" }, true);
    case "rejected":
    case "config":
      return settle(deps, m, { status: "failed", error: e.message, errorCode: e.code ?? e.kind });
    case "unknown_outcome":
      // The reconcile job commits with the status: a kill between two writes would leave the message
      // `unknown` with nothing to settle it (the re-run send job only acts on queued/sending).
      await settle(deps, m, { status: "unknown", error: e.message }, false, () => enqueueReconcileSync(deps, m.id, now));
  }
}

/**
 * Queues the reconcile of an `unknown` message after the configured delay (RECONCILE_DELAY_MS). Call inside
 * a write transaction. Many attempts: a lookup that fails for a while (provider down) must not dead-letter
 * the only job that can settle the message.
 */
function enqueueReconcileSync(deps: Deps, messageId: string, now: number): void {
  const delay = deps.config.reconcileDelayMs ?? 60_000;
  // One job per `unknown` episode (this runs in the transaction that makes the message unknown), so no key is
  // needed for dedupe; a key of the message alone could still be held by the reconcile that just re-queued it,
  // and a resend failing again would then get no reconcile at all.
  deps.queue.enqueueSync({ name: RECONCILE_JOB, data: { messageId }, runAt: now + delay, key: `reconcile:${messageId}:${now}`, maxAttempts: RECONCILE_MAX_ATTEMPTS });
}

/** Reconcile attempts before dead letter: with 15-minute waits and backoff capped at an hour, well over a day. */
const RECONCILE_MAX_ATTEMPTS = 200;

/**
 * Records the result of a send attempt (from `sending`), with counters and the provider-id index, in one
 * transaction; `also` runs inside it (only when the record moves).
 */
async function settle(deps: Deps, m: Message, patch: Partial<Message>, suppress = false, also?: () => void): Promise<void> {
  const s = deps.storage;
  await batchedWrite(s, ({ counters, stats }) => {
    const cur = getMessage(s, m.id);
    if (!cur || cur.status !== "sending") return; // a delivery report or a reconcile got there first
    also?.();
    const next: Message = { ...cur, ...patch };
    putMessageSync(s, next);
    recordMessageStatsSync(deps, stats, cur, next);
    counters.move(cur.campaignId, cur.status, next.status!);
    if (next.providerId) s.db("providerIds").putSync([m.accountId, next.providerId], m.id);
    // Campaign messages are on the recipient's record since dispatch (lastSentMessage picks the one sent last).
    if (next.status === "sent" && !m.campaignId) {
      putRecipientSync(s, m.companyId, m.to, { ...getRecipient(s, m.companyId, m.to), lastOutboundMsg: m.id });
    }
    if (suppress) putSuppressionSync(s, m.companyId, m.to, { reason: "carrier_opt_out", at: deps.clock.now() });
  });
}

/** Puts an `unknown` message the provider provably never received back in the queue, with a fresh send job. */
export async function requeueUnknown(deps: Deps, messageId: string): Promise<void> {
  const s = deps.storage;
  await s.env.transaction(() => {
    const m = getMessage(s, messageId);
    if (!m || m.status !== "unknown" || !m.from) return;
    putMessageSync(s, { ...m, status: "queued", error: undefined });
    const counters = new CounterBatch(s);
    counters.move(m.campaignId, "unknown", "queued");
    counters.flushSync();
    const job: SendJob = { messageId: m.id, companyId: m.companyId, accountId: m.accountId, to: m.to, from: m.from, body: m.body, tz: m.tz };
    deps.queue.enqueueSync({ name: SEND_JOB, data: job, key: `resend:${m.id}:${deps.clock.now()}` });
  });
}
