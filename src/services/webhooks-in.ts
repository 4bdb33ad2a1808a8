import type { Deps } from "../deps.ts";
import type { InboundSms, StatusUpdate, WebhookRequest } from "../drivers/driver.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { getAccountById, type Account } from "../storage/accounts.ts";
import { toDriverAccount } from "./account-config.ts";
import { receiveInbound } from "./inbound.ts";
import { applyStatusUpdates } from "./receipts.ts";

/** Job that parses and applies one stored provider webhook. */
export const WEBHOOK_JOB = "webhook.process";

export interface WebhookJob {
  driver: string;
  accountId: string;
  req: WebhookRequest;
  /** Reports whose message was not known yet, carried over from an earlier run. */
  pending?: StatusUpdate[];
  /** How many times `pending` has been retried. */
  tries?: number;
}

/** Headers worth keeping with a stored webhook (signatures are already verified; keep what parsers read). */
const KEEP = /^(content-type|x-twilio-signature|x-plivo-signature-v3|x-plivo-signature-v3-nonce|telnyx-signature-ed25519|telnyx-timestamp)$/;

/**
 * Verifies a provider webhook and stores it durably in the `webhooks` queue; nothing else happens in the
 * request. Resolves once the job is committed (the group commit batches concurrent requests).
 * @throws DomainError not_found (unknown account / driver mismatch) or forbidden (bad or missing signature).
 */
export async function acceptWebhook(deps: Deps, driverName: string, accountId: string, req: WebhookRequest): Promise<Response> {
  const account = getAccountById(deps.storage, accountId);
  const driver = deps.drivers.get(driverName);
  if (!account || !driver || account.driver !== driverName) throw notFound("account");
  const verdict = driver.verifyWebhook(toDriverAccount(deps, account), req);
  if (!verdict.ok) throw new DomainError("forbidden", "bad_signature", `webhook signature rejected: ${verdict.reason}`);
  await ingestWebhook(deps, driverName, accountId, req);
  return driver.webhookReply();
}

/** Stores a trusted webhook for processing (also used by drivers whose events do not come over HTTP). */
export async function ingestWebhook(deps: Deps, driver: string, accountId: string, req: WebhookRequest): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (KEEP.test(k)) headers[k] = v;
  const job: WebhookJob = { driver, accountId, req: { ...req, headers } };
  // Durable in the inbox environment (concurrent requests share its commits), whatever the main one is busy with.
  await deps.queue.accept({ name: WEBHOOK_JOB, data: job, queue: "webhooks", maxAttempts: 8 });
}

/**
 * Parses a stored webhook and applies its events. Reports that overtook our own record of the provider id
 * are retried a few times, then dropped with a warning.
 * @throws Error on a malformed body (dead-lettered after retries).
 */
export async function processWebhook(deps: Deps, job: WebhookJob): Promise<void> {
  const account = getAccountById(deps.storage, job.accountId);
  const driver = deps.drivers.get(job.driver);
  if (!account || !driver) return;
  const events = job.pending ?? driver.parseWebhook(toDriverAccount(deps, account), job.req);
  const statuses = events.filter((e): e is StatusUpdate => e.type === "status");
  const inbound = events.filter((e): e is InboundSms => e.type === "inbound");
  if (inbound.length) await receiveInbound(deps, account as Account, inbound);
  const unknown = statuses.length ? await applyStatusUpdates(deps, account.id, statuses) : [];
  if (unknown.length === 0) return;
  const tries = job.tries ?? 0;
  if (tries >= 6) {
    deps.log.warn("delivery report for an unknown message dropped", { accountId: account.id, providerIds: unknown.map((u) => u.providerId).slice(0, 5) });
    return;
  }
  await deps.queue.enqueue({ name: WEBHOOK_JOB, data: { ...job, pending: unknown, tries: tries + 1 }, queue: "webhooks", runAt: deps.clock.now() + 2_000 * 2 ** tries });
}
