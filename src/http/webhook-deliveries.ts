import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { notFound } from "../domain/errors.ts";
import { listDeliveries, type WebhookDelivery } from "../storage/webhook-deliveries.ts";
import { getEndpoint } from "../storage/webhook-endpoints.ts";
import { authenticate } from "./auth.ts";

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A delivery log entry as the API shows it. */
const view = (d: WebhookDelivery) => ({
  id: d.id, event: d.event, status: d.status, attempts: d.attempts, lastStatus: d.lastStatus, lastError: d.lastError,
  createdAt: iso(d.createdAt), lastAttemptAt: iso(d.lastAttemptAt),
});

/** `GET /api/v1/webhook-endpoints/:id/deliveries?limit=&cursor=`: an endpoint's delivery log, newest first. */
export function webhookDeliveryRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/webhook-endpoints", detail: { tags: ["webhooks"] } })
    .resolve(authenticate(deps))
    .get("/:id/deliveries", ({ auth, params, query }) => {
      if (!getEndpoint(deps.storage, auth.company.id, params.id)) throw notFound("webhook_endpoint");
      const page = listDeliveries(deps.storage, auth.company.id, params.id, { limit: query.limit ?? 50, cursor: query.cursor });
      return { items: page.items.map(view), next: page.next };
    }, {
      query: t.Object({
        limit: t.Optional(t.Numeric({ minimum: 1, maximum: 500 })),
        cursor: t.Optional(t.String({ maxLength: 32 })),
      }),
      detail: { summary: "An endpoint's delivery log (status, attempts, last error), newest first" },
    });
}
