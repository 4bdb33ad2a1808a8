import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { simulateInbound } from "../services/simulate.ts";
import { authenticate } from "./auth.ts";

/** `POST /api/v1/sandbox/inbound`: simulates a reply arriving through the webhook path of a sandbox account. */
export function sandboxRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/sandbox", detail: { tags: ["sandbox"] } })
    .resolve(authenticate(deps))
    .post("/inbound", async ({ auth, body, set }) => {
      await simulateInbound(deps, auth, body);
      set.status = 202;
      return { ok: true };
    }, {
      body: t.Object({ accountId: t.String({ maxLength: 64 }), from: t.String({ minLength: 2, maxLength: 32 }), to: t.String({ minLength: 2, maxLength: 32 }), body: t.String({ maxLength: 2000 }) }),
    });
}
