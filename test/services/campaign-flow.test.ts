import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { campaignView, changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { getCampaign } from "../../src/storage/campaigns.ts";
import { queryMessages } from "../../src/services/message-view.ts";
import { GENERATE_BUSY_BATCH, generateNextBatch } from "../../src/services/generation.ts";
import { FOREGROUND_QUEUES } from "../../src/queue/handlers-imports.ts";
import { settle } from "../helpers/settle.ts";
import { makeAccount, makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

async function setup(n: number, accountOpts = {}) {
  sys = makeSystem();
  const auth = await makeCompany(sys);
  const account = await makeAccount(sys, auth, accountOpts);
  const list = await makeList(sys, auth, phones(n).map((phone, i) => ({ phone, fields: { first_name: `Ann${i}` } })));
  return { auth, account, list };
}

const view = (auth: { company: { id: string } }, id: string) => campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, id)!);

describe("a campaign from creation to completion", () => {
  test("generates one message per contact, pauses, then sends and completes with exact counters", async () => {
    const { auth, account, list } = await setup(100, { numbers: ["+12025550100", "+12025550101"] });
    const c = await createCampaign(sys.deps, auth, { name: "Hello", accountId: account.id, listIds: [list.id], body: "Hi {{first_name}}, {{missing}}!" });
    expect(c.status).toBe("pending");
    await settle(sys);
    expect(view(auth, c.id).status).toBe("paused");
    expect(view(auth, c.id).counts).toMatchObject({ total: 100, pending: 100 });
    expect(view(auth, c.id).missingFields).toBe(100);

    await changeCampaignStatus(sys.deps, auth, c.id, "start");
    const [r] = await sys.tick();
    expect(r!.quota).toBe(108); // 2 long codes × 1 mps × 60 × 0.9
    expect(r!.queued).toBe(100);
    sys.clock.advance(60_000);
    await settle(sys);
    expect(view(auth, c.id).counts).toMatchObject({ total: 100, pending: 0, queued: 0, delivered: 100 });
    await sys.tick();
    expect(view(auth, c.id).status).toBe("completed");

    const page = queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 5 });
    expect(page.items).toHaveLength(5);
    for (const m of page.items) {
      expect(m.body).toMatch(/^Hi Ann\d+, !$/);
      expect(["+12025550100", "+12025550101"]).toContain(m.from);
      expect(m.status).toBe("delivered");
      expect(m.sentAt).toBeDefined();
      expect(m.providerId).toMatch(/^SB/);
    }
  });

  test("while foreground work runs, generation commits GENERATE_BUSY_BATCH messages a transaction instead of GENERATE_BATCH", async () => {
    const { auth, account, list } = await setup(2_500);
    const c = await createCampaign(sys.deps, auth, { name: "Busy", accountId: account.id, listIds: [list.id], body: "Hello" });
    await sys.deps.queue.settled();
    // As a webhook would: an accepted job marks the next second as busy (the runner has not run anything yet).
    expect(sys.deps.queue.foregroundBusy(FOREGROUND_QUEUES)).toBe(false);
    await sys.deps.queue.accept({ name: "noop.accepted", data: null, queue: "webhooks" });
    expect(sys.deps.queue.foregroundBusy(FOREGROUND_QUEUES)).toBe(true);
    await generateNextBatch(sys.deps, auth.company.id, c.id, sys.deps.queue.foregroundBusy(FOREGROUND_QUEUES));
    expect(view(auth, c.id).counts.total).toBe(GENERATE_BUSY_BATCH);
    sys.clock.advance(1_000);
    expect(sys.deps.queue.foregroundBusy(FOREGROUND_QUEUES)).toBe(false);
    await generateNextBatch(sys.deps, auth.company.id, c.id, sys.deps.queue.foregroundBusy(FOREGROUND_QUEUES));
    expect(view(auth, c.id).counts.total).toBe(2_500); // the rest in one batch (under GENERATE_BATCH)
  });

  test("a contact on two lists gets one message", async () => {
    const { auth, account, list } = await setup(10);
    const list2 = await makeList(sys, auth, phones(15).map((phone) => ({ phone })), "Second");
    const c = await createCampaign(sys.deps, auth, { name: "Two lists", accountId: account.id, listIds: [list.id, list2.id], body: "Hello" });
    await settle(sys);
    expect(view(auth, c.id).counts.total).toBe(15);
  });
});

describe("pacing", () => {
  /** A running campaign of `n` messages on a 6,000/min account; t0 is when it started. */
  async function pacedCampaign(n: number) {
    const { auth, account, list } = await setup(n, { numbers: ["+12025550100"], mps: 6000 / 54 });
    const c = await createCampaign(sys.deps, auth, { name: "Paced", accountId: account.id, listIds: [list.id], body: "Hi" });
    await settle(sys);
    await changeCampaignStatus(sys.deps, auth, c.id, "start");
    return { auth, c, t0: sys.clock.now() };
  }
  const sends = () => sys.deps.queue.stats().find((q) => q.name === "sends")!;

  test("a 6,000/min account gets its jobs due evenly over the minute, none early", async () => {
    const { auth, c, t0 } = await pacedCampaign(7000);
    const [r] = await sys.tick();
    expect(r!.quota).toBe(6000);
    expect(r!.queued).toBe(6000);
    // Rounds are picked while earlier ones commit; none re-picks what another holds, so 250 a round suffice.
    expect(r!.rounds).toBe(6000 / 250);
    expect(sends().depth).toBe(1); // only job 0 is due at the tick
    for (let sec = 10; sec <= 60; sec += 10) {
      sys.clock.set(t0 + sec * 1000);
      await sys.deps.queue.promoteDue();
      const due = 6000 - sends().delayed;
      // job i is due at i × 10 ms: after s seconds, exactly s × 100 + 1 jobs (0..s×100) are due, none more.
      expect(due).toBe(Math.min(6000, sec * 100 + 1));
    }
    expect(view(auth, c.id).counts.pending).toBe(1000);
  });

  test("a tick mid-minute (a restart's catch-up) starts where the last dispatch's jobs end: no minute gets more than the quota", async () => {
    const { t0 } = await pacedCampaign(13_000);
    const dueAt = async (ms: number) => {
      sys.clock.set(t0 + ms);
      await sys.deps.queue.promoteDue();
      return sends().depth; // nothing runs the jobs: every due one is still there
    };
    expect((await sys.tick())[0]!.queued).toBe(6000); // t0: jobs every 10 ms up to t0 + 60 s
    sys.clock.set(t0 + 30_000);
    const [catchUp] = await sys.tick(); // the first minute's jobs still cover 30 s of the next 60: half a quota fits
    expect(catchUp!.quota).toBe(3000);
    expect(catchUp!.queued).toBe(3000);
    expect(await dueAt(59_999)).toBe(6000); // the catch-up's first job is not due before the first minute's last
    sys.clock.set(t0 + 60_000);
    const [next] = await sys.tick(); // the cron's next tick: the catch-up's jobs reach t0 + 90 s
    expect(next!.queued).toBe(3000);
    // Job counts due by each time: 100 a second throughout, never two dispatches' worth at once.
    expect(await dueAt(60_000)).toBe(6001);
    expect(await dueAt(90_000)).toBe(9001);
    expect(await dueAt(119_999)).toBe(12_000);
    sys.clock.set(t0 + 120_000);
    expect((await sys.tick())[0]!.quota).toBe(6000); // caught up: a full minute again
  });
});

describe("the running process", () => {
  test("a started runner picks up jobs enqueued inside a transaction as soon as it commits, with no other wake-up", async () => {
    const { auth, account, list } = await setup(5);
    sys.runner.start();
    const c = await createCampaign(sys.deps, auth, { name: "Live", accountId: account.id, listIds: [list.id], body: "Hi" });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
      return cond();
    };
    expect(await until(() => view(auth, c.id).status === "paused")).toBe(true);
    await changeCampaignStatus(sys.deps, auth, c.id, "start");
    await sys.tick({ spreadMs: 0 });
    expect(await until(() => view(auth, c.id).counts.delivered === 5)).toBe(true);
  });
});
