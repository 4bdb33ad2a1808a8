import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import type { AuthContext } from "../../src/deps.ts";
import { createToken } from "../../src/services/auth.ts";
import { changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { receiveInbound } from "../../src/services/inbound.ts";
import { recordInboundStatSync, statsOverview, statsTimeseries } from "../../src/services/stats.ts";
import { getMessage } from "../../src/storage/messages.ts";
import { minuteOf } from "../../src/storage/stats.ts";
import { settle } from "../helpers/settle.ts";
import { makeAccount, makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

/** Ground truth from the message store: how many of the company's messages ended failed or undelivered. */
function failedMessages(companyId: string): number {
  let n = 0;
  for (const id of sys.deps.storage.db("messages").getKeys()) {
    const m = getMessage(sys.deps.storage, id as string)!;
    if (m.companyId === companyId && (m.status === "failed" || m.status === "undelivered")) n++;
  }
  return n;
}

async function get(who: AuthContext, path: string) {
  const { token } = await createToken(sys.deps, who, "t");
  const res = await sys.app.handle(new Request(`http://pombo.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
  expect(res.status).toBe(200);
  return res.json() as Promise<any>;
}

test("per-minute buckets count sends, delivery reports, replies and opt-outs exactly, per company", async () => {
  sys = makeSystem();
  const auth = await makeCompany(sys);
  const other = await makeCompany(sys, "Other");
  // Half fail: the draw (a hash of each random message id) leaves all 12 delivered or all failed once in ~2,000
  // runs (0.5^12 each); at 0.3 none failed once in ~70 runs (0.7^12), and the bounds below failed in CI.
  const account = await makeAccount(sys, auth, { perMinuteCap: 6, config: { failureRate: 0.5 } });
  const contacts = phones(12);
  const list = await makeList(sys, auth, contacts.map((phone) => ({ phone })));
  const c = await createCampaign(sys.deps, auth, { name: "Stats", accountId: account.id, listIds: [list.id], body: "Hi" });
  await settle(sys);
  await changeCampaignStatus(sys.deps, auth, c.id, "start");

  const t0 = sys.clock.now();
  const [r1] = await sys.tick();
  expect(r1!.queued).toBe(6);
  sys.clock.advance(60_000); // every send of the first minute runs at t0 + 60 s …
  await settle(sys);
  const failedAfterFirst = failedMessages(auth.company.id);
  const [r2] = await sys.tick();
  expect(r2!.queued).toBe(6);
  sys.clock.advance(60_000); // … and of the second at t0 + 120 s
  await settle(sys);
  const failedTotal = failedMessages(auth.company.id);
  expect(failedTotal).toBeGreaterThan(0); // 50 % failure rate: the draw makes some fail
  expect(failedTotal).toBeLessThan(12);

  // Two replies, one of them STOP: one opt-out, and its confirmation is one more message sent.
  await receiveInbound(sys.deps, account, [
    { type: "inbound", providerId: "in-1", from: contacts[0]!, to: "+12025550100", body: "Stop" },
    { type: "inbound", providerId: "in-2", from: contacts[1]!, to: "+12025550100", body: "hello?" },
  ]);
  await settle(sys);
  const confirmFailed = failedMessages(auth.company.id) - failedTotal;

  const series = statsTimeseries(sys.deps, auth.company.id, 4);
  const m = minuteOf(t0);
  expect(series.map((b) => b.t)).toEqual([m - 1, m, m + 1, m + 2].map((x) => new Date(x * 60_000).toISOString()));
  expect(series).toEqual([
    { t: expect.any(String), sent: 0, delivered: 0, failed: 0 },
    { t: expect.any(String), sent: 0, delivered: 0, failed: 0 },
    { t: expect.any(String), sent: 6, delivered: 6 - failedAfterFirst, failed: failedAfterFirst },
    { t: expect.any(String), sent: 7, delivered: 7 - (failedTotal - failedAfterFirst) - confirmFailed, failed: failedTotal - failedAfterFirst + confirmFailed },
  ]);

  const overview = statsOverview(sys.deps, auth.company.id);
  expect(overview.today).toEqual({ sent: 13, delivered: 13 - failedTotal - confirmFailed, failed: failedTotal + confirmFailed, replies: 2, optOuts: 1 });
  expect(overview.running).toEqual([{ id: c.id, name: "Stats", status: "running", counts: expect.objectContaining({ total: 12, pending: 0 }) }]);
  expect(overview.queues.map((q) => q.name)).toContain("sends");

  // Over HTTP, and nothing of it shows for another company.
  const viaHttp = await get(auth, "/api/v1/stats/overview");
  expect(viaHttp.today).toEqual(overview.today);
  expect(viaHttp.running).toHaveLength(1);
  const theirs = await get(other, "/api/v1/stats/overview");
  expect(theirs.today).toEqual({ sent: 0, delivered: 0, failed: 0, replies: 0, optOuts: 0 });
  expect(theirs.running).toEqual([]);
  const series180 = await get(auth, "/api/v1/stats/timeseries");
  expect(series180).toHaveLength(180);
  expect(series180.slice(-4)).toEqual(series);
  expect((await get(other, "/api/v1/stats/timeseries?minutes=4")).every((b: any) => b.sent === 0)).toBe(true);

  // The campaign's own series: from the minute it started, its messages only (not the STOP confirmation).
  const campaignSeries = await get(auth, `/api/v1/campaigns/${c.id}/timeseries`);
  expect(campaignSeries).toEqual([
    { t: new Date(m * 60_000).toISOString(), sent: 0, delivered: 0, failed: 0 },
    { t: new Date((m + 1) * 60_000).toISOString(), sent: 6, delivered: 6 - failedAfterFirst, failed: failedAfterFirst },
    { t: new Date((m + 2) * 60_000).toISOString(), sent: 6, delivered: 6 - (failedTotal - failedAfterFirst), failed: failedTotal - failedAfterFirst },
  ]);
  expect(await get(auth, `/api/v1/campaigns/${c.id}/timeseries?minutes=1`)).toEqual(campaignSeries.slice(-1));
  const { token } = await createToken(sys.deps, other, "t");
  const theirView = await sys.app.handle(new Request(`http://pombo.test/api/v1/campaigns/${c.id}/timeseries`, { headers: { authorization: `Bearer ${token}` } }));
  expect(theirView.status).toBe(404);
});

test("today starts at midnight in the company's time zone", async () => {
  sys = makeSystem();
  const auth = await makeCompany(sys);
  const s = sys.deps.storage;
  const now = sys.clock.now(); // Monday 15:00 UTC
  const record = (at: number) => {
    sys.clock.set(at);
    s.env.transactionSync(() => recordInboundStatSync(sys.deps, auth.company.id, "replies"));
  };
  record(now - 15 * 3_600_000 - 60_000); // Sunday 23:59 UTC
  record(now - 15 * 3_600_000); // Monday 00:00 UTC
  record(now);
  sys.clock.set(now);
  const { updateComplianceSettings } = await import("../../src/services/compliance.ts");
  await updateComplianceSettings(sys.deps, auth.company.id, { timezone: "UTC" });
  expect(statsOverview(sys.deps, auth.company.id).today.replies).toBe(2);
  await updateComplianceSettings(sys.deps, auth.company.id, { timezone: "Europe/Lisbon" }); // UTC+0 in January too
  expect(statsOverview(sys.deps, auth.company.id).today.replies).toBe(2);
  await updateComplianceSettings(sys.deps, auth.company.id, { timezone: "America/Los_Angeles" }); // 07:00 local: midnight was 08:00 UTC
  expect(statsOverview(sys.deps, auth.company.id).today.replies).toBe(1);
});
