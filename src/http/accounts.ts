import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { addNumber, createAccount, deleteAccount, mustGetAccount, removeNumber, updateAccount } from "../services/accounts.ts";
import { listAccounts } from "../storage/accounts.ts";
import { accountView, numberView } from "./account-view.ts";
import { authenticate } from "./auth.ts";

// t.Unknown, checked by the service: Elysia coerces a number or string into a t.Record ({"0":"x"}).
const Config = t.Unknown({ description: "Driver config fields (an object); GET /api/v1/drivers lists them" });
const Cap = t.Integer({ minimum: 1, maximum: 10_000_000, description: "Ceiling on the computed quota per minute" });
const AccountInput = t.Object({
  name: t.String({ minLength: 1, maxLength: 200 }),
  driver: t.Optional(t.String({ maxLength: 50, description: "Default: sandbox (sends nothing)" })),
  config: t.Optional(Config),
  perMinuteCap: t.Optional(Cap),
});
const AccountPatch = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
  config: t.Optional(Config),
  perMinuteCap: t.Optional(t.Union([Cap, t.Null()])),
  paused: t.Optional(t.Boolean()),
}, { minProperties: 1 }); // also refuses a JSON array or string, which Elysia would otherwise coerce to {}
const NumberInput = t.Object({
  number: t.String({ minLength: 1, maxLength: 40, description: "E.164, or 3–8 digits for a short code" }),
  type: t.Union([t.Literal("long_code"), t.Literal("toll_free"), t.Literal("short_code")]),
  mps: t.Optional(t.Number({ exclusiveMinimum: 0, maximum: 10_000, description: "Messages per second; default by type: 1, 3, 100" })),
});

/** Provider accounts and their sender numbers. Secrets are write-only (see accountView). */
export function accountRoutes(deps: Deps) {
  const view = (a: Parameters<typeof accountView>[1]) => accountView(deps, a);
  return new Elysia({ prefix: "/api/v1/accounts", detail: { tags: ["accounts"] } })
    .resolve(authenticate(deps))
    .post("", async ({ auth, body, set }) => {
      set.status = 201;
      return view(await createAccount(deps, auth.company.id, body));
    }, { body: AccountInput, detail: { summary: "Connect a provider account (driver defaults to sandbox)" } })
    .get("", ({ auth }) => ({ items: listAccounts(deps.storage, auth.company.id).map(view) }), { detail: { summary: "The company's accounts" } })
    .get("/:id", ({ auth, params }) => view(mustGetAccount(deps.storage, auth.company.id, params.id)), {
      detail: { summary: "One account with its numbers, quotaPerMinute and webhookUrl" },
    })
    .patch("/:id", async ({ auth, params, body }) => view(await updateAccount(deps, auth.company.id, params.id, body)), {
      body: AccountPatch,
      detail: { summary: "Rename, change config (empty secret fields keep their value), cap or pause" },
    })
    .delete("/:id", async ({ auth, params }) => {
      await deleteAccount(deps, auth.company.id, params.id);
      return { ok: true };
    }, { detail: { summary: "Delete an account and its numbers" } })
    .post("/:id/numbers", async ({ auth, params, body, set }) => {
      set.status = 201;
      return numberView(await addNumber(deps, auth.company.id, params.id, body));
    }, { body: NumberInput, detail: { summary: "Add a sender number" } })
    .delete("/:id/numbers/:number", async ({ auth, params }) => {
      await removeNumber(deps, auth.company.id, params.id, params.number);
      return { ok: true };
    }, { detail: { summary: "Remove a sender number (url-encode the +)" } });
}
