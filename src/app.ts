import { Elysia } from "elysia";
import type { Deps } from "./deps.ts";
import { accountRoutes } from "./http/accounts.ts";
import { campaignRoutes } from "./http/campaigns.ts";
import { complianceRoutes } from "./http/compliance.ts";
import { docsRoutes } from "./http/docs.ts";
import { driverRoutes } from "./http/drivers.ts";
import { guardApiRequest } from "./http/auth.ts";
import { mapError } from "./http/errors.ts";
import { limitJsonBody } from "./http/body-limit.ts";
import { healthRoutes } from "./http/health.ts";
import { importRoutes } from "./http/imports.ts";
import { contactRoutes } from "./http/contacts.ts";
import { listRoutes } from "./http/lists.ts";
import { keywordRoutes } from "./http/keywords.ts";
import { messageRoutes } from "./http/messages.ts";
import { metricsRoutes } from "./http/metrics.ts";
import { queueRoutes } from "./http/queues.ts";
import { sandboxRoutes } from "./http/sandbox.ts";
import { sessionRoutes } from "./http/session.ts";
import { statsRoutes } from "./http/stats.ts";
import { suppressionRoutes } from "./http/suppressions.ts";
import { tokenRoutes } from "./http/tokens.ts";
import { uiRoutes } from "./http/ui.ts";
import { userRoutes } from "./http/users.ts";
import { webhookDeliveryRoutes } from "./http/webhook-deliveries.ts";
import { webhookEndpointRoutes } from "./http/webhook-endpoints.ts";
import { LatencyHistogram } from "./services/latency.ts";
import { nativeWebhookRoutes, webhookFastPath } from "./http/webhook-fast-path.ts";
import { webhookRoutes } from "./http/webhooks.ts";

/** The composition root of the HTTP side: every route module mounted on one Elysia app, nothing global. */
export function buildApp(deps: Deps) {
  const latency = new LatencyHistogram();
  const webhook = webhookFastPath(deps, latency);
  // Bun's router answers provider webhooks natively when the app listens (see webhook-fast-path.ts).
  const serve = { maxRequestBodySize: deps.config.maxUploadBytes, routes: nativeWebhookRoutes(deps, latency) };
  return new Elysia({ serve })
    .onRequest(({ request }) => {
      const path = new URL(request.url).pathname;
      const fast = webhook(request, path);
      if (fast) return fast;
      try {
        limitJsonBody(request, deps.config.maxJsonBytes);
        guardApiRequest(deps, request, path);
      } catch (e) {
        return mapError("", e, deps.log, path);
      }
    })
    .onError(({ code, error, request }) => mapError(code, error, deps.log, new URL(request.url).pathname))
    .use(healthRoutes(deps))
    .use(metricsRoutes(deps, latency))
    .use(docsRoutes())
    .use(sessionRoutes(deps))
    .use(tokenRoutes(deps))
    .use(userRoutes(deps))
    .use(driverRoutes(deps))
    .use(accountRoutes(deps))
    .use(complianceRoutes(deps))
    .use(keywordRoutes(deps))
    .use(suppressionRoutes(deps))
    .use(webhookEndpointRoutes(deps))
    .use(webhookDeliveryRoutes(deps))
    .use(queueRoutes(deps))
    .use(statsRoutes(deps))
    .use(campaignRoutes(deps))
    .use(messageRoutes(deps))
    .use(sandboxRoutes(deps))
    .use(webhookRoutes(deps))
    .use(listRoutes(deps))
    .use(importRoutes(deps))
    .use(contactRoutes(deps))
    .use(uiRoutes(deps));
}

export type App = ReturnType<typeof buildApp>;
