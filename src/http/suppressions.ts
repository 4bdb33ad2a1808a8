import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { addSuppression, phonePrefix, removeSuppression } from "../services/suppressions.ts";
import { listSuppressions, type SuppressionEntry } from "../storage/suppressions.ts";
import { authenticate } from "./auth.ts";

const view = (s: SuppressionEntry) => ({ phone: s.phone, reason: s.reason, at: new Date(s.at).toISOString() });

/** Suppressed numbers: searched by prefix, added by hand, lifted. */
export function suppressionRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/suppressions", detail: { tags: ["compliance"] } })
    .resolve(authenticate(deps))
    .get("", ({ auth, query }) => {
      const page = listSuppressions(deps.storage, auth.company.id, { prefix: phonePrefix(query.phone), limit: query.limit, cursor: query.cursor });
      return { items: page.items.map(view), ...(page.next ? { next: page.next } : {}) };
    }, {
      query: t.Object({
        phone: t.Optional(t.String({ maxLength: 40, description: "Prefix of the E.164 number, e.g. +1202" })),
        limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        cursor: t.Optional(t.String({ maxLength: 40, description: "`next` of the previous page" })),
      }),
      detail: { summary: "Suppressed numbers in phone order" },
    })
    .post("", async ({ auth, body, set }) => {
      const { created, ...s } = await addSuppression(deps, auth.company.id, body);
      set.status = created ? 201 : 200;
      return view(s);
    }, {
      body: t.Object({ phone: t.String({ minLength: 1, maxLength: 40 }), reason: t.Optional(t.String({ maxLength: 100, description: "Default: manual" })) }),
      detail: { summary: "Suppress a number (201; 200 with the existing record when already suppressed)" },
    })
    .delete("/:phone", async ({ auth, params }) => {
      await removeSuppression(deps, auth.company.id, params.phone);
      return { ok: true };
    }, { detail: { summary: "Lift a suppression (url-encode the +)" } });
}
