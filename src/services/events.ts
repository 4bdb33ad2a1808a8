import type { Deps } from "../deps.ts";
import { listEndpointsFor } from "../storage/webhook-endpoints.ts";

/** Outgoing webhook event names (API.md). */
export type EventName = "message.status" | "inbound.received" | "contact.opted_out";

/** Job that POSTs one event to one endpoint. */
export const DELIVER_JOB = "webhook.deliver";

/**
 * Queues one delivery per endpoint of the company subscribed to `event`. Call inside the write
 * transaction that made the change, so the event exists exactly when the change does.
 */
export function emitEventSync(deps: Deps, companyId: string, event: EventName, data: Record<string, unknown>): void {
  const endpoints = listEndpointsFor(deps.storage, companyId, event);
  if (endpoints.length === 0) return;
  const at = new Date(deps.clock.now()).toISOString();
  for (const ep of endpoints) {
    deps.queue.enqueueSync({ name: DELIVER_JOB, data: { companyId, endpointId: ep.id, event, at, data }, queue: "outgoing", maxAttempts: 30 });
  }
}
