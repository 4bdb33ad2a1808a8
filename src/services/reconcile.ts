import type { Deps } from "../deps.ts";
import { getAccountById } from "../storage/accounts.ts";
import { batchedWrite } from "../storage/txn-batch.ts";
import { getMessage } from "../storage/messages.ts";
import { RetryLaterError } from "../queue/types.ts";
import { toDriverAccount } from "./account-config.ts";
import { applyOne } from "./receipts.ts";

/** Job that settles a message whose send outcome is unknown. */
export const RECONCILE_JOB = "message.reconcile";

/** How long an unknown message may wait for a delivery report when the provider has no lookup. */
const GIVE_UP_MS = 24 * 3600_000;

/** A driver's `lookupLagMs` when it names none: how long a provider's records may lag behind its sends. */
export const DEFAULT_LOOKUP_LAG_MS = 5 * 60_000;
/** While the records may still lag, a message not found is looked up again this often. */
const LOOKUP_AGAIN_MS = 2 * 60_000;

/**
 * Settles an `unknown` message: asks the provider what it did with messages to that number since we
 * queued it. Found → its status (and provider id) applies. Not there → asked again (every 2 minutes) until the
 * driver's `lookupLagMs` (or the LOOKUP_LAG_MS setting) has passed since the outcome became unknown
 * (`unknownSince`): the provider's records may lag behind its sends, and a message it did take must never be sent
 * twice. Still not there → provably never taken: back to `queued` and sent again. No lookup → wait for a
 * delivery report, then fail after a day. Safe to run twice: it acts only on `unknown`.
 * @throws RetryLaterError while the outcome is still open.
 */
export async function reconcileMessage(deps: Deps, messageId: string, requeue: (messageId: string) => Promise<void>, unknownSince: number): Promise<void> {
  const s = deps.storage;
  const m = getMessage(s, messageId);
  if (!m || m.status !== "unknown") return;
  const account = getAccountById(s, m.accountId);
  const driver = account && deps.drivers.get(account.driver);
  const now = deps.clock.now();
  if (!account || !driver?.lookup) {
    if (now - (m.queuedAt ?? m.createdAt) < GIVE_UP_MS) throw new RetryLaterError("waiting for a delivery report", 15 * 60_000);
    return settleUnknown(deps, messageId, { status: "failed", errorMessage: "send outcome unknown and no delivery report arrived" });
  }
  const found = await driver.lookup(toDriverAccount(deps, account), { to: m.to, since: m.queuedAt }, AbortSignal.timeout(15_000));
  const match = found.find((f) => f.to === m.to && (f.body === undefined || f.body === m.body));
  if (match) return settleUnknown(deps, messageId, match);
  const wait = unknownSince + (deps.config.lookupLagMs ?? driver.lookupLagMs ?? DEFAULT_LOOKUP_LAG_MS) - now;
  if (wait > 0) throw new RetryLaterError("not in the provider's records yet; they may lag behind its sends", Math.min(wait, LOOKUP_AGAIN_MS));
  await requeue(messageId);
}

async function settleUnknown(deps: Deps, messageId: string, u: { providerId?: string; status: "queued" | "sent" | "delivered" | "undelivered" | "failed"; errorCode?: string; errorMessage?: string }): Promise<void> {
  const s = deps.storage;
  await batchedWrite(s, (b) => {
    const m = getMessage(s, messageId);
    if (!m || m.status !== "unknown") return;
    applyOne(deps, b, m, { type: "status", providerId: u.providerId ?? m.providerId ?? `unknown:${m.id}`, status: u.status === "queued" ? "sent" : u.status, errorCode: u.errorCode, errorMessage: u.errorMessage });
  });
}
