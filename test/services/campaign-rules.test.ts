import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { addSuppression } from "../../src/services/suppressions.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { updateComplianceSettings } from "../../src/services/compliance.ts";
import { getCampaign } from "../../src/storage/campaigns.ts";
import { queryMessages } from "../../src/services/message-view.ts";
import type { AuthContext } from "../../src/deps.ts";
import { settle } from "../helpers/settle.ts";
import { makeAccount, makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

const view = (auth: AuthContext, id: string) => campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, id)!);

async function running(auth: AuthContext, accountId: string, listIds: string[], name = "C") {
  const c = await createCampaign(sys.deps, auth, { name, accountId, listIds, body: "Hi" });
  await settle(sys);
  await changeCampaignStatus(sys.deps, auth, c.id, "start");
  return c;
}

/** Sends everything queued this minute and lets reports arrive. */
async function runMinute() {
  sys.clock.advance(60_000);
  await settle(sys);
}

describe("fairness", () => {
  test("two campaigns on one account share its quota about evenly", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth, { perMinuteCap: 100, mps: 10 });
    const a = await running(auth, account.id, [(await makeList(sys, auth, phones(500, 202).map((phone) => ({ phone })), "A")).id], "A");
    const b = await running(auth, account.id, [(await makeList(sys, auth, phones(500, 303).map((phone) => ({ phone })), "B")).id], "B");
    const [r] = await sys.tick();
    expect(r!.queued).toBe(100);
    expect(view(auth, a.id).counts.queued).toBe(50);
    expect(view(auth, b.id).counts.queued).toBe(50);
  });

  test("what one campaign cannot use goes to the other", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth, { perMinuteCap: 100, mps: 10 });
    const a = await running(auth, account.id, [(await makeList(sys, auth, phones(10, 202).map((phone) => ({ phone })), "A")).id], "A");
    const b = await running(auth, account.id, [(await makeList(sys, auth, phones(500, 303).map((phone) => ({ phone })), "B")).id], "B");
    await sys.tick();
    expect(view(auth, a.id).counts.queued).toBe(10);
    expect(view(auth, b.id).counts.queued).toBe(90);
  });
});

describe("quiet hours", () => {
  test("a recipient in Honolulu waits while one in New York is sent, at the same instant", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    // 2026-01-05 15:00 UTC = 10:00 in New York, 05:00 in Honolulu.
    sys.clock.set(Date.UTC(2026, 0, 5, 15, 0, 0));
    const list = await makeList(sys, auth, [
      { phone: "+12125550001", geo: { timezone: "America/New_York" } },
      { phone: "+18085550001", geo: { timezone: "Pacific/Honolulu" } },
    ]);
    const c = await running(auth, account.id, [list.id]);
    await sys.tick();
    await runMinute();
    expect(view(auth, c.id).counts).toMatchObject({ delivered: 1, pending: 1 });
    // 19:00 UTC = 09:00 in Honolulu: now it goes.
    sys.clock.set(Date.UTC(2026, 0, 5, 19, 0, 0));
    await sys.tick();
    await runMinute();
    expect(view(auth, c.id).counts).toMatchObject({ delivered: 2, pending: 0 });
  });

  test("the window follows daylight saving time", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    const list = await makeList(sys, auth, [{ phone: "+12125550001", geo: { timezone: "America/New_York" } }]);
    const c = await running(auth, account.id, [list.id]);
    // 2026-03-07 12:30 UTC = 07:30 EST (closed); 2026-03-09 12:30 UTC = 08:30 EDT (open).
    sys.clock.set(Date.UTC(2026, 2, 7, 12, 30));
    await sys.tick();
    expect(view(auth, c.id).counts.queued).toBe(0);
    sys.clock.set(Date.UTC(2026, 2, 9, 12, 30));
    await sys.tick();
    expect(view(auth, c.id).counts.queued).toBe(1);
  });

  test("an unknown zone falls back to the company's", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    await updateComplianceSettings(sys.deps, auth.company.id, { timezone: "Asia/Tokyo" });
    const account = await makeAccount(sys, auth);
    const list = await makeList(sys, auth, [{ phone: "+12125550001", geo: { timezone: "" } }]);
    const c = await running(auth, account.id, [list.id]);
    sys.clock.set(Date.UTC(2026, 0, 5, 15, 0)); // 00:00 in Tokyo
    await sys.tick();
    expect(view(auth, c.id).counts.queued).toBe(0);
    sys.clock.set(Date.UTC(2026, 0, 6, 1, 0)); // 10:00 in Tokyo
    await sys.tick();
    expect(view(auth, c.id).counts.queued).toBe(1);
  });
});

describe("frequency cap and suppression", () => {
  test("a number gets one campaign message per 24 h across two campaigns; the second is skipped", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    const list = await makeList(sys, auth, phones(3).map((phone) => ({ phone })));
    const a = await running(auth, account.id, [list.id], "A");
    await sys.tick();
    await runMinute();
    const b = await running(auth, account.id, [list.id], "B");
    await sys.tick();
    await runMinute();
    expect(view(auth, a.id).counts.delivered).toBe(3);
    expect(view(auth, b.id).counts.skipped).toBe(3);
    expect(view(auth, b.id).skipped).toEqual({ frequency_cap: 3 });
    // After 24 h a third campaign may reach them.
    sys.clock.advance(24 * 3600_000);
    const c = await running(auth, account.id, [list.id], "C");
    await sys.tick();
    await runMinute();
    expect(view(auth, c.id).counts.delivered).toBe(3);
  });

  test("suppressed numbers are skipped with the reason", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    const [p1, p2] = phones(2);
    await addSuppression(sys.deps, auth.company.id, { phone: p1!, reason: "manual" });
    const c = await running(auth, account.id, [(await makeList(sys, auth, [{ phone: p1! }, { phone: p2! }])).id]);
    await sys.tick();
    await runMinute();
    expect(view(auth, c.id).counts).toMatchObject({ delivered: 1, skipped: 1 });
    expect(view(auth, c.id).skipped).toEqual({ suppressed: 1 });
  });
});

describe("pause, resume, cancel", () => {
  test("pause mid-minute stops further sends; resume continues with no duplicate", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth, { perMinuteCap: 10, mps: 10 });
    const c = await running(auth, account.id, [(await makeList(sys, auth, phones(10).map((phone) => ({ phone })))).id]);
    await sys.tick(); // 10 jobs, one every 6 s
    sys.clock.advance(29_000);
    await settle(sys); // jobs 0..4 run
    expect(view(auth, c.id).counts.delivered).toBe(5);
    await changeCampaignStatus(sys.deps, auth, c.id, "pause");
    sys.clock.advance(31_000);
    await settle(sys); // jobs 5..9 see the pause: back to pending
    expect(view(auth, c.id).counts).toMatchObject({ delivered: 5, pending: 5, queued: 0 });
    await changeCampaignStatus(sys.deps, auth, c.id, "resume");
    await sys.tick();
    await runMinute();
    expect(view(auth, c.id).counts).toMatchObject({ total: 10, delivered: 10, pending: 0 });
    const all = queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 100 }).items;
    expect(new Set(all.map((m) => m.to)).size).toBe(10);
    expect(new Set(all.map((m) => m.providerId)).size).toBe(10);
  });

  test("cancel skips everything not yet sent, and answers 409 afterwards", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth, { perMinuteCap: 4, mps: 10 });
    const c = await running(auth, account.id, [(await makeList(sys, auth, phones(10).map((phone) => ({ phone })))).id]);
    await sys.tick();
    await changeCampaignStatus(sys.deps, auth, c.id, "cancel");
    await runMinute();
    expect(view(auth, c.id).counts).toMatchObject({ total: 10, skipped: 10, pending: 0, queued: 0 });
    expect(view(auth, c.id).skipped).toEqual({ canceled: 10 });
    await expect(changeCampaignStatus(sys.deps, auth, c.id, "resume")).rejects.toMatchObject({ kind: "conflict" });
  });

  test("status flips are refused from the wrong state", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    const c = await createCampaign(sys.deps, auth, { name: "x", accountId: account.id, listIds: [(await makeList(sys, auth, [{ phone: phones(1)[0]! }])).id], body: "Hi" });
    await expect(changeCampaignStatus(sys.deps, auth, c.id, "pause")).rejects.toMatchObject({ code: "invalid_transition" });
    await expect(changeCampaignStatus(sys.deps, auth, c.id, "resume")).rejects.toMatchObject({ code: "invalid_transition" });
  });

  test("start while generating runs as soon as generation ends", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    const c = await createCampaign(sys.deps, auth, { name: "x", accountId: account.id, listIds: [(await makeList(sys, auth, phones(3).map((phone) => ({ phone })))).id], body: "Hi" });
    expect((await changeCampaignStatus(sys.deps, auth, c.id, "start")).status).toBe("pending");
    await settle(sys);
    expect(view(auth, c.id).status).toBe("running");
  });

  test("startAt schedules the start", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const account = await makeAccount(sys, auth);
    const at = new Date(sys.clock.now() + 3600_000).toISOString();
    const c = await createCampaign(sys.deps, auth, { name: "x", accountId: account.id, listIds: [(await makeList(sys, auth, phones(3).map((phone) => ({ phone })))).id], body: "Hi", startAt: at });
    await settle(sys);
    await sys.tick();
    expect(view(auth, c.id).status).toBe("paused");
    sys.clock.advance(3600_000);
    await sys.tick();
    expect(view(auth, c.id).status).toBe("running");
    expect(view(auth, c.id).counts.queued).toBe(3);
  });
});
