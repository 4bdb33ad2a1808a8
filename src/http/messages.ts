import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { notFound } from "../domain/errors.ts";
import { messageView, queryMessages } from "../services/message-view.ts";
import { getCampaign } from "../storage/campaigns.ts";
import { listInbound } from "../storage/inbound.ts";
import { getMessage } from "../storage/messages.ts";
import { authenticate } from "./auth.ts";

const Paging = {
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: 1000 })),
  cursor: t.Optional(t.String({ maxLength: 64 })),
};

/** Outbound messages (filtered lists and one by id) and inbound replies. */
export function messageRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["messages"] } })
    .resolve(authenticate(deps))
    .get("/messages", ({ auth, query }) => {
      if (query.campaignId && !getCampaign(deps.storage, auth.company.id, query.campaignId)) throw notFound("campaign");
      return queryMessages(deps.storage, auth.company.id, { ...query, limit: query.limit ?? 100 });
    }, { query: t.Object({ campaignId: t.Optional(t.String({ maxLength: 64 })), phone: t.Optional(t.String({ maxLength: 32 })), status: t.Optional(t.String({ maxLength: 20 })), ...Paging }) })
    .get("/messages/:id", ({ auth, params }) => {
      const m = getMessage(deps.storage, params.id);
      if (!m || m.companyId !== auth.company.id) throw notFound("message");
      return messageView(m);
    })
    .get("/inbound", ({ auth, query }) => {
      const page = listInbound(deps.storage, auth.company.id, { phone: query.phone, limit: query.limit ?? 100, cursor: query.cursor });
      return {
        items: page.items.map((m) => ({ id: m.id, from: m.from, to: m.to, body: m.body, receivedAt: new Date(m.receivedAt).toISOString(), replyTo: m.replyTo, intent: m.intent })),
        next: page.next,
      };
    }, { query: t.Object({ phone: t.Optional(t.String({ maxLength: 32 })), ...Paging }) });
}
