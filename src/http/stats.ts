import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { MAX_SERIES_MINUTES, statsOverview, statsTimeseries } from "../services/stats.ts";
import { authenticate } from "./auth.ts";

/** The dashboard: today's totals, running campaigns and queues; per-minute sent/delivered/failed. */
export function statsRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/stats", detail: { tags: ["dashboard"] } })
    .resolve(authenticate(deps))
    .get("/overview", ({ auth }) => statsOverview(deps, auth.company.id), {
      detail: { summary: "Today's sent/delivered/failed/replies/opt-outs (company time zone), running campaigns, queues" },
    })
    .get("/timeseries", ({ auth, query }) => statsTimeseries(deps, auth.company.id, query.minutes ?? 180), {
      query: t.Object({ minutes: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_SERIES_MINUTES })) }),
      detail: { summary: "Per-minute buckets {t, sent, delivered, failed}, oldest first, ending with the current minute" },
    });
}
