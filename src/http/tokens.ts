import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { createToken, revokeToken } from "../services/auth.ts";
import { listCompanyTokens } from "../storage/users.ts";
import { authenticate } from "./auth.ts";

/** API tokens (created, listed, revoked). */
export function tokenRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["auth"] } })
    .resolve(authenticate(deps))
    .post("/tokens", async ({ auth, body, set }) => {
      set.status = 201;
      return createToken(deps, auth, body.name);
    }, { body: t.Object({ name: t.String({ maxLength: 100 }) }) })
    .get("/tokens", ({ auth }) => ({
      items: listCompanyTokens(deps.storage, auth.company.id).map(({ id, name, createdAt }) => ({ id, name, createdAt: new Date(createdAt).toISOString() })),
    }))
    .delete("/tokens/:id", async ({ auth, params }) => {
      await revokeToken(deps, auth, params.id);
      return { ok: true };
    });
}
