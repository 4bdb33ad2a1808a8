import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { acceptWebhook } from "../services/webhooks-in.ts";

/**
 * `POST /webhooks/:driver/:accountId` (and GET, for providers that call back with a query string):
 * verify the signature against BASE_URL + path, store the raw payload durably, answer the provider.
 * Parsing and applying happen in the `webhooks` queue.
 */
export function webhookRoutes(deps: Deps) {
  const handle = async ({ request, params, body }: { request: Request; params: { driver: string; accountId: string }; body?: unknown }) => {
    const url = new URL(request.url);
    const publicUrl = `${deps.config.baseUrl}${url.pathname}${url.search}`;
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    const raw = typeof body === "string" ? body : "";
    return acceptWebhook(deps, params.driver, params.accountId, { url: publicUrl, method: request.method, headers, body: raw });
  };
  return new Elysia({ prefix: "/webhooks", detail: { tags: ["webhooks"] } })
    // The raw text is what signatures cover: never let a parser normalise it first.
    .post("/:driver/:accountId", handle, { parse: "text" })
    .get("/:driver/:accountId", handle);
}
