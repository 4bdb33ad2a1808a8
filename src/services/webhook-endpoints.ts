/** The company's outgoing webhook endpoints: created and deleted here; delivery (signing, retries) lives elsewhere. */
import type { Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { newId } from "../storage/ids.ts";
import { secretBoxFor } from "../storage/secrets.ts";
import { getEndpoint, putEndpoint, removeEndpoint, type EndpointEvent, type WebhookEndpoint } from "../storage/webhook-endpoints.ts";

const aad = (id: string) => `webhook-endpoint:${id}`;

/**
 * Registers an endpoint; its secret is sealed at rest and never returned.
 * @throws DomainError invalid (not an http(s) URL, no events, short secret).
 */
export async function createEndpoint(
  deps: Pick<Deps, "storage" | "clock" | "config">,
  companyId: string,
  input: { url: string; events: EndpointEvent[]; secret: string },
): Promise<WebhookEndpoint> {
  const url = checkUrl(input.url);
  const events = [...new Set(input.events)];
  if (events.length === 0) throw new DomainError("invalid", "no_events", "subscribe to at least one event");
  if (input.secret.length < 16) throw new DomainError("invalid", "weak_secret", "secret must be at least 16 characters");
  const id = newId();
  const rec: WebhookEndpoint = { v: 1, id, companyId, url, events, secret: secretBoxFor(deps.config).seal(input.secret, aad(id)), createdAt: deps.clock.now() };
  await putEndpoint(deps.storage, rec);
  return rec;
}

/** Deletes an endpoint (deliveries already queued for it find it gone and do nothing). @throws DomainError not_found. */
export async function deleteEndpoint(deps: Pick<Deps, "storage">, companyId: string, id: string): Promise<void> {
  if (!getEndpoint(deps.storage, companyId, id)) throw notFound("webhook_endpoint");
  await removeEndpoint(deps.storage, companyId, id);
}

/** The endpoint's secret in clear, to sign a delivery with (HMAC-SHA256). Never log or return it. */
export function endpointSigningSecret(deps: Pick<Deps, "config">, endpoint: WebhookEndpoint): string {
  return secretBoxFor(deps.config).open(endpoint.secret, aad(endpoint.id));
}

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DomainError("invalid", "invalid_url", `"${raw}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new DomainError("invalid", "invalid_url", "url must be http or https");
  if (url.username || url.password) throw new DomainError("invalid", "invalid_url", "put credentials in the secret, not in the URL");
  return url.toString();
}
