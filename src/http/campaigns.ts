import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import type { CampaignAction } from "../domain/campaign.ts";
import { notFound } from "../domain/errors.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../services/campaigns.ts";
import { getCampaign, listCampaigns } from "../storage/campaigns.ts";
import { campaignTimeseries, MAX_SERIES_MINUTES } from "../services/stats.ts";
import { authenticate } from "./auth.ts";

const CampaignInput = t.Object({
  name: t.String({ minLength: 1, maxLength: 200 }),
  accountId: t.String({ minLength: 1, maxLength: 64 }),
  listIds: t.Array(t.String({ maxLength: 64 }), { minItems: 1, maxItems: 100 }),
  body: t.String({ minLength: 1, maxLength: 5000 }),
  startAt: t.Optional(t.String({ maxLength: 40 })),
});

/** Campaigns: create, list, read (with counters and a per-minute series), start / pause / resume / cancel. */
export function campaignRoutes(deps: Deps) {
  const act = (action: CampaignAction) => async ({ auth, params }: { auth: Parameters<typeof changeCampaignStatus>[1]; params: { id: string } }) => {
    const c = await changeCampaignStatus(deps, auth, params.id, action);
    return { id: c.id, status: c.status };
  };
  return new Elysia({ prefix: "/api/v1/campaigns", detail: { tags: ["campaigns"] } })
    .resolve(authenticate(deps))
    .post("/", async ({ auth, body, set }) => {
      const c = await createCampaign(deps, auth, body);
      set.status = 201;
      return campaignView(deps, c);
    }, { body: CampaignInput })
    .get("/", ({ auth }) => ({ items: listCampaigns(deps.storage, auth.company.id).map((c) => campaignView(deps, c)) }))
    .get("/:id", ({ auth, params }) => {
      const c = getCampaign(deps.storage, auth.company.id, params.id);
      if (!c) throw notFound("campaign");
      return campaignView(deps, c);
    })
    .get("/:id/timeseries", ({ auth, params, query }) => {
      const c = getCampaign(deps.storage, auth.company.id, params.id);
      if (!c) throw notFound("campaign");
      return campaignTimeseries(deps, c, query.minutes);
    }, {
      query: t.Object({ minutes: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_SERIES_MINUTES })) }),
      detail: { summary: "Per-minute buckets {t, sent, delivered, failed} of the campaign, oldest first: since it started (or the last `minutes`), up to now or its completion" },
    })
    .post("/:id/start", act("start"))
    .post("/:id/pause", act("pause"))
    .post("/:id/resume", act("resume"))
    .post("/:id/cancel", act("cancel"));
}
