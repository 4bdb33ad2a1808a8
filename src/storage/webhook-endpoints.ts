import type { Storage } from "./db.ts";

/** Outgoing webhook event names (API.md). */
export type EndpointEvent = "message.status" | "inbound.received" | "contact.opted_out";
export const ENDPOINT_EVENTS: readonly EndpointEvent[] = ["message.status", "inbound.received", "contact.opted_out"];

/** A company's own endpoint that receives signed events. Layout in keys.ts: `webhookEndpoints` [companyId, endpointId]. */
export interface WebhookEndpoint {
  v: 1;
  id: string;
  companyId: string;
  url: string;
  events: EndpointEvent[];
  /** The signing secret, sealed by storage/secrets.ts (aad `webhook-endpoint:<id>`); services/webhook-endpoints.ts opens it. */
  secret: string;
  createdAt: number;
}

/**
 * Endpoints per company, cached: every message status change asks (emitEventSync), and this process is the
 * only writer, so the entry is dropped on each change (before and after it commits).
 */
const caches = new WeakMap<Storage, Map<string, WebhookEndpoint[]>>();
function cacheOf(s: Storage): Map<string, WebhookEndpoint[]> {
  let c = caches.get(s);
  if (!c) caches.set(s, (c = new Map()));
  return c;
}

/** A company's endpoints, oldest first. */
export function listEndpoints(s: Storage, companyId: string): WebhookEndpoint[] {
  const cache = cacheOf(s);
  let hit = cache.get(companyId);
  if (!hit) {
    hit = [...s.db("webhookEndpoints").getRange({ start: [companyId], end: [companyId, "\uffff"] }).map(({ value }) => value as WebhookEndpoint)];
    if (cache.size > 10_000) cache.clear();
    cache.set(companyId, hit);
  }
  return [...hit];
}

/** The company's endpoints subscribed to `event` (what an event is delivered to). */
export function listEndpointsFor(s: Storage, companyId: string, event: EndpointEvent): WebhookEndpoint[] {
  return listEndpoints(s, companyId).filter((e) => e.events.includes(event));
}

/** One endpoint of one company, or undefined (gone, or another company's). */
export function getEndpoint(s: Storage, companyId: string, id: string): WebhookEndpoint | undefined {
  return s.db("webhookEndpoints").get([companyId, id]);
}

/** Saves an endpoint; resolves once committed. */
export async function putEndpoint(s: Storage, e: WebhookEndpoint): Promise<void> {
  cacheOf(s).delete(e.companyId);
  await s.db("webhookEndpoints").put([e.companyId, e.id], e);
  cacheOf(s).delete(e.companyId);
}

/** Removes an endpoint; false when it was not there. */
export async function removeEndpoint(s: Storage, companyId: string, id: string): Promise<boolean> {
  cacheOf(s).delete(companyId);
  const removed = await s.db("webhookEndpoints").remove([companyId, id]);
  cacheOf(s).delete(companyId);
  return removed;
}
