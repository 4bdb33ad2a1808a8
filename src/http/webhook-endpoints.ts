import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { createEndpoint, deleteEndpoint } from "../services/webhook-endpoints.ts";
import { listEndpoints, type WebhookEndpoint } from "../storage/webhook-endpoints.ts";
import { authenticate } from "./auth.ts";

const Event = t.Union([t.Literal("message.status"), t.Literal("inbound.received"), t.Literal("contact.opted_out")]);

/** An endpoint as the API shows it: never its secret. */
const view = (e: WebhookEndpoint) => ({ id: e.id, url: e.url, events: e.events, createdAt: new Date(e.createdAt).toISOString() });

/** The company's outgoing webhook endpoints. Deliveries carry `X-Pombo-Signature: sha256=<hex HMAC of body>`. */
export function webhookEndpointRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/webhook-endpoints", detail: { tags: ["webhooks"] } })
    .resolve(authenticate(deps))
    .post("", async ({ auth, body, set }) => {
      set.status = 201;
      return view(await createEndpoint(deps, auth.company.id, body));
    }, {
      body: t.Object({
        url: t.String({ minLength: 1, maxLength: 2000, description: "http(s) URL" }),
        events: t.Array(Event, { minItems: 1, maxItems: 3 }),
        secret: t.String({ minLength: 16, maxLength: 256, description: "HMAC-SHA256 key for X-Pombo-Signature; write-only" }),
      }),
      detail: { summary: "Register an endpoint for events" },
    })
    .get("", ({ auth }) => ({ items: listEndpoints(deps.storage, auth.company.id).map(view) }), { detail: { summary: "The company's endpoints" } })
    .delete("/:id", async ({ auth, params }) => {
      await deleteEndpoint(deps, auth.company.id, params.id);
      return { ok: true };
    }, { detail: { summary: "Delete an endpoint" } });
}
