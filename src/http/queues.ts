import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { discardDeadJob, listVisibleDead, retryDeadJob } from "../services/dead-letters.ts";
import { authenticate } from "./auth.ts";

/**
 * The queue monitor: per-queue counts (shared by every company; numbers only), and the dead letters
 * of the caller's company (system jobs to owners), which owners can retry or discard.
 */
export function queueRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/queues", detail: { tags: ["operations"] } })
    .resolve(authenticate(deps))
    .get("/", () => deps.queue.stats(), { detail: { summary: "Each queue's depth, delayed, running, failed and completed-per-minute" } })
    .get("/:name/failed", ({ auth, params, query }) => listVisibleDead(deps, auth, params.name, { limit: query.limit ?? 50, cursor: query.cursor }), {
      query: t.Object({ limit: t.Optional(t.Numeric({ minimum: 1, maximum: 500 })), cursor: t.Optional(t.String({ maxLength: 32 })) }),
      detail: { summary: "Dead letters of a queue (oldest first): error, attempts, a summary of the data" },
    })
    .post("/jobs/:id/retry", async ({ auth, params }) => ({ id: (await retryDeadJob(deps, auth, params.id)).id, state: "ready" }), {
      detail: { summary: "Put a dead letter back in its queue (owners)" },
    })
    .delete("/jobs/:id", async ({ auth, params }) => {
      await discardDeadJob(deps, auth, params.id);
      return { ok: true };
    }, { detail: { summary: "Discard a dead letter (owners)" } });
}
