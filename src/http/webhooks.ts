import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { handleWebhook } from "./webhook-fast-path.ts";

/**
 * `POST /webhooks/:driver/:accountId` (and GET, for providers that call back with a query string), declared
 * for the OpenAPI document and route listings. In the running app the fast path in app.ts answers these
 * requests before routing; both use the same handler.
 */
export function webhookRoutes(deps: Deps) {
  const handle = ({ request, params }: { request: Request; params: { driver: string; accountId: string } }) =>
    handleWebhook(deps, request, new URL(request.url).pathname, params.driver, params.accountId);
  return new Elysia({ prefix: "/webhooks", detail: { tags: ["webhooks"] } })
    // The raw text is what signatures cover: no parser may read the body first.
    .post("/:driver/:accountId", handle, { parse: "none" })
    .get("/:driver/:accountId", handle);
}
