import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { renderMetrics } from "../services/metrics.ts";
import { LatencyHistogram, webhookTiming } from "./timing.ts";

/**
 * `GET /metrics` (no auth: keep it off the public internet — see README, Operations) and the hooks
 * that time provider webhooks for it. Mount before the webhook routes so their requests are timed.
 */
export function metricsRoutes(deps: Deps) {
  const latency = new LatencyHistogram();
  return new Elysia()
    .use(webhookTiming(latency, deps.drivers.list().map((d) => d.name)))
    .get("/metrics", () => new Response(renderMetrics(deps, latency), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
    }), { detail: { tags: ["operations"], summary: "Prometheus metrics" } });
}
