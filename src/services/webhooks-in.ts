import type { Deps } from "../deps.ts";
import type { InboundSms, StatusUpdate, WebhookRequest } from "../drivers/driver.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { getAccountById, type Account } from "../storage/accounts.ts";
import { toDriverAccount } from "./account-config.ts";
import { receiveInbound } from "./inbound.ts";
import type { JobSpec } from "../queue/types.ts";
import { TxnBatch } from "../storage/txn-batch.ts";
import { applyStatusUpdates, applyStatusUpdatesIn } from "./receipts.ts";

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

/** Headers worth keeping with a stored webhook, lower-case (signatures are already verified; keep what parsers read). */
const KEEP = ["content-type", "x-twilio-signature", "x-plivo-signature-v3", "x-plivo-signature-v3-nonce", "telnyx-signature-ed25519", "telnyx-timestamp"];

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
  // Six look-ups instead of walking every header the request came with (this runs on every webhook).
  for (const name of KEEP) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const job: WebhookJob = { driver, accountId, req: { ...req, headers } };
  // Durable in the inbox environment (concurrent requests share its commits), whatever the main one is busy with.
  await deps.queue.accept(webhookSpec(job));
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
  const retry = retryLater(deps, job, unknown);
  if (retry) await deps.queue.enqueue(retry);
}

/**
 * The `webhooks` queue's absorber (JobQueue.absorb): applies stored webhooks that carry only delivery reports
 * right where they move in from the inbox, in that transaction — most of a campaign's webhook traffic, spared
 * a job each. Returns the jobs to run after all: webhooks with inbound messages or that do not parse (the job
 * handles them, with its retries and dead letter), and retries of reports for messages not known yet.
 */
export function absorbWebhooks(deps: Deps, jobs: WebhookJob[]): JobSpec[] {
  const later: JobSpec[] = [];
  const b = new TxnBatch(deps.storage);
  let applied = 0;
  for (const job of jobs) {
    // Past ABSORB_MAX reports the rest run as jobs, in later commits: one move never holds the loop for long.
    const statuses = applied < ABSORB_MAX ? statusesOnly(deps, job) : undefined;
    if (statuses) applied += statuses.length;
    if (!statuses) {
      later.push(webhookSpec(job));
      continue;
    }
    const retry = retryLater(deps, job, applyStatusUpdatesIn(deps, b, job.accountId, statuses));
    if (retry) later.push(retry);
  }
  b.flushSync();
  return later;
}

/**
 * Delivery reports applied per inbox move (~25 µs each on the event loop); a provider batching its callbacks
 * (the sandbox sends a JSON array per 50 ms) can put hundreds in one webhook.
 */
export const ABSORB_MAX = 400;

/** The job spec that stores a webhook for processing. */
function webhookSpec(job: WebhookJob, runAt?: number): JobSpec<WebhookJob> {
  return { name: WEBHOOK_JOB, data: job, queue: "webhooks", maxAttempts: 8, runAt };
}

/** A webhook's events when they are all delivery reports; undefined when it has others, or does not parse. */
function statusesOnly(deps: Deps, job: WebhookJob): StatusUpdate[] | undefined {
  if (job.pending) return undefined;
  const account = getAccountById(deps.storage, job.accountId);
  const driver = deps.drivers.get(job.driver);
  if (!account || !driver) return undefined;
  try {
    const events = driver.parseWebhook(toDriverAccount(deps, account), job.req);
    return events.every((e) => e.type === "status") ? (events as StatusUpdate[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The retry job for reports whose message is not known yet (none when there are none, or after 6 tries). */
function retryLater(deps: Deps, job: WebhookJob, unknown: StatusUpdate[]): JobSpec<WebhookJob> | undefined {
  if (unknown.length === 0) return undefined;
  const tries = job.tries ?? 0;
  if (tries >= 6) {
    deps.log.warn("delivery report for an unknown message dropped", { accountId: job.accountId, providerIds: unknown.map((u) => u.providerId).slice(0, 5) });
    return undefined;
  }
  return webhookSpec({ ...job, pending: unknown, tries: tries + 1 }, deps.clock.now() + 2_000 * 2 ** tries);
}
