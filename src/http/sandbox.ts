import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { sandboxInboundRequest } from "../drivers/sandbox.ts";
import { ingestWebhook } from "../services/webhooks-in.ts";
import { getAccount } from "../storage/accounts.ts";
import { authenticate } from "./auth.ts";

/** `POST /api/v1/sandbox/inbound`: simulates a reply arriving through the webhook path of a sandbox account. */
export function sandboxRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/sandbox", detail: { tags: ["sandbox"] } })
    .resolve(authenticate(deps))
    .post("/inbound", async ({ auth, body, set }) => {
      const account = getAccount(deps.storage, auth.company.id, body.accountId);
      if (!account) throw notFound("account");
      if (account.driver !== "sandbox") throw new DomainError("conflict", "not_sandbox", "only sandbox accounts can simulate replies");
      await ingestWebhook(deps, "sandbox", account.id, sandboxInboundRequest(account.id, { from: body.from, to: body.to, body: body.body, at: deps.clock.now() }));
      set.status = 202;
      return { ok: true };
    }, {
      body: t.Object({ accountId: t.String({ maxLength: 64 }), from: t.String({ minLength: 2, maxLength: 32 }), to: t.String({ minLength: 2, maxLength: 32 }), body: t.String({ maxLength: 2000 }) }),
    });
}
