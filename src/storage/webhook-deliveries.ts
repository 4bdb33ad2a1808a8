import type { Storage } from "./db.ts";

/** Where one outgoing delivery stands: being attempted, done, failed (a retry is scheduled), or given up. */
export type DeliveryStatus = "pending" | "delivered" | "failed" | "dead";

/**
 * One entry of an endpoint's delivery log. Layout in keys.ts: `webhookDeliveries` [companyId, endpointId, seq];
 * `seq` is the webhook.deliver job's seq and `id` its decimal string (also sent as `X-Pombo-Delivery`).
 */
export interface WebhookDelivery {
  v: 1;
  id: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt (absent after a network error or timeout). */
  lastStatus?: number;
  lastError?: string;
  /** First attempt (epoch ms). */
  createdAt: number;
  lastAttemptAt?: number;
  /** Start of the current retry window (the first attempt, or the last manual retry of a dead letter). */
  windowStart: number;
}

/** How many log entries each endpoint keeps; older ones are pruned in the write that adds a new one. */
export const DELIVERY_LOG_CAP = 1_000;

const key = (companyId: string, endpointId: string, seq: number) => [companyId, endpointId, seq];

/** One delivery of an endpoint, or undefined (never attempted, pruned, or not this company's). */
export function getDelivery(s: Storage, companyId: string, endpointId: string, seq: number): WebhookDelivery | undefined {
  return s.db("webhookDeliveries").get(key(companyId, endpointId, seq));
}

/**
 * Writes a delivery log entry; a new entry bumps the endpoint's count and, past the cap, removes the
 * oldest entries. Call inside a write transaction (the count and the pruning commit with the entry).
 */
export function putDeliverySync(s: Storage, companyId: string, endpointId: string, seq: number, d: WebhookDelivery): void {
  const db = s.db("webhookDeliveries");
  const k = key(companyId, endpointId, seq);
  const isNew = db.get(k) === undefined;
  db.putSync(k, d);
  if (!isNew) return;
  const counts = s.db("webhookDeliveryCounts");
  let n = ((counts.get([companyId, endpointId]) as number | undefined) ?? 0) + 1;
  if (n > DELIVERY_LOG_CAP) {
    for (const old of db.getKeys({ start: [companyId, endpointId], end: [companyId, endpointId, Number.MAX_SAFE_INTEGER], limit: n - DELIVERY_LOG_CAP })) {
      db.removeSync(old);
      n--;
    }
  }
  counts.putSync([companyId, endpointId], n);
}

/** One page of an endpoint's log, newest first; `cursor` is the last id of the previous page. */
export function listDeliveries(
  s: Storage, companyId: string, endpointId: string, { limit = 50, cursor }: { limit?: number; cursor?: string } = {},
): { items: WebhookDelivery[]; next?: string } {
  // Reverse ranges include their start: begin just below the cursor.
  const before = cursor !== undefined && /^\d+$/.test(cursor) ? Number(cursor) - 1 : Number.MAX_SAFE_INTEGER;
  const items: WebhookDelivery[] = [];
  for (const { value } of s.db("webhookDeliveries").getRange({
    start: [companyId, endpointId, before], end: [companyId, endpointId], reverse: true, limit: limit + 1,
  })) {
    items.push(value as WebhookDelivery);
  }
  const page = items.slice(0, limit);
  return { items: page, next: items.length > limit ? page[page.length - 1]!.id : undefined };
}
