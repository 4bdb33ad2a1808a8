import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { renderMetrics } from "../services/metrics.ts";
import type { LatencyHistogram } from "../services/latency.ts";

/**
 * `GET /metrics` (no auth: keep it off the public internet — see README, Operations). Webhook latency
 * comes from `latency`, which the webhook fast path (webhook-fast-path.ts) fills.
 */
export function metricsRoutes(deps: Deps, latency: LatencyHistogram) {
  return new Elysia()
    .get("/metrics", () => new Response(renderMetrics(deps, latency), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
    }), { detail: { tags: ["operations"], summary: "Prometheus metrics" } });
}
