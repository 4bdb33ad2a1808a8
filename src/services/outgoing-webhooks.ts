/**
 * Delivers outgoing webhook events (queued by events.ts) to the company's own endpoints: signed POST,
 * retries with a fixed backoff schedule for 24 hours, then the dead letters; a delivery log per endpoint.
 */
import { createHmac } from "node:crypto";
import type { Deps } from "../deps.ts";
import { PermanentJobError, RetryLaterError, type Job } from "../queue/types.ts";
import { getDelivery, putDeliverySync, type WebhookDelivery } from "../storage/webhook-deliveries.ts";
import { getEndpoint } from "../storage/webhook-endpoints.ts";
import type { EventName } from "./events.ts";
import { endpointSigningSecret } from "./webhook-endpoints.ts";

/** What events.ts puts in a `webhook.deliver` job. */
export interface DeliverJob {
  companyId: string;
  endpointId: string;
  event: EventName;
  /** When the event happened (ISO-8601): the body's `createdAt`. */
  at: string;
  data: Record<string, unknown>;
}

/** How long a delivery keeps being retried after its first attempt. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;
export const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * Delay after the n-th failed attempt: 10 s, 1 min, 5 min, 15 min, 30 min, then hourly. The last retry
 * is pulled in to land exactly at 24 h, so a day of retries is 30 attempts (events.ts's maxAttempts).
 */
const SCHEDULE_MS = [10_000, 60_000, 300_000, 900_000, 1_800_000];
const MAX_DELAY_MS = 3_600_000;

/** The retry delay after failed attempt number `attempt` (1-based), before the 24 h window is applied. Pure. */
export function retryDelay(attempt: number): number {
  return SCHEDULE_MS[attempt - 1] ?? MAX_DELAY_MS;
}

/** `sha256=<hex HMAC-SHA256 of body>`: the X-Pombo-Signature value. */
export function signBody(secret: string, body: string): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

type Attempt = { ok: boolean; status?: number; error?: string };

/**
 * Runs one attempt of a `webhook.deliver` job. Does nothing when the endpoint is gone. Safe to run
 * twice: the delivery id (the job id) is stable across retries, so receivers can dedupe.
 * @throws RetryLaterError after a failed attempt inside the 24 h window; PermanentJobError once it is over.
 */
export async function deliverWebhook(deps: Deps, job: Pick<Job<DeliverJob>, "id" | "attempts" | "maxAttempts" | "createdAt" | "data">): Promise<void> {
  const { companyId, endpointId, event, at, data } = job.data;
  const endpoint = getEndpoint(deps.storage, companyId, endpointId);
  if (!endpoint) return;
  const seq = Number(job.id);
  const started = deps.clock.now();
  const prev = getDelivery(deps.storage, companyId, endpointId, seq);
  // A job with no failed attempts is new or a dead letter retried by hand: either way a fresh window.
  // An entry pruned from the log while still retrying falls back to when the event was queued.
  const windowStart = job.attempts === 0 ? started : prev?.windowStart ?? job.createdAt;
  const rec: WebhookDelivery = {
    v: 1, id: job.id, event, status: "pending", attempts: (prev?.attempts ?? 0) + 1,
    createdAt: prev?.createdAt ?? started, lastAttemptAt: started, windowStart,
  };
  await saveDelivery(deps, companyId, endpointId, seq, rec);

  const body = JSON.stringify({ id: job.id, event, createdAt: at, data });
  const result = await post(endpoint.url, body, {
    "content-type": "application/json",
    "user-agent": "Pombo-Webhooks/1",
    "x-pombo-signature": signBody(endpointSigningSecret(deps, endpoint), body),
    "x-pombo-event": event,
    "x-pombo-delivery": job.id,
  });
  const done = { ...rec, lastStatus: result.status, lastError: result.error };
  if (result.ok) return saveDelivery(deps, companyId, endpointId, seq, { ...done, status: "delivered", lastError: undefined });

  const now = deps.clock.now();
  const deadline = windowStart + RETRY_WINDOW_MS;
  const message = `delivery ${job.id} to endpoint ${endpointId}: ${result.error}`;
  if (now >= deadline || job.attempts + 1 >= job.maxAttempts) {
    await saveDelivery(deps, companyId, endpointId, seq, { ...done, status: "dead" });
    throw new PermanentJobError(`${message}; giving up after ${job.attempts + 1} attempts`);
  }
  await saveDelivery(deps, companyId, endpointId, seq, { ...done, status: "failed" });
  throw new RetryLaterError(message, Math.min(retryDelay(job.attempts + 1), deadline - now));
}

function saveDelivery(deps: Deps, companyId: string, endpointId: string, seq: number, rec: WebhookDelivery): Promise<void> {
  return deps.storage.env.transaction(() => putDeliverySync(deps.storage, companyId, endpointId, seq, rec)) as Promise<void>;
}

/** One POST; 2xx is success, anything else (redirects included) or a network error is a failure. */
async function post(url: string, body: string, headers: Record<string, string>): Promise<Attempt> {
  try {
    const res = await fetch(url, { method: "POST", body, headers, redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") return { ok: false, error: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` };
    return { ok: false, error: `network error: ${String((e as Error)?.message ?? e).slice(0, 200)}` };
  }
}
