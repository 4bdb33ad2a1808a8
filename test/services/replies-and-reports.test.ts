import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { WebhookRequest } from "../../src/drivers/driver.ts";
import { addNumber, createAccount } from "../../src/services/accounts.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { createKeyword } from "../../src/services/keywords.ts";
import { updateComplianceSettings } from "../../src/services/compliance.ts";
import { getCampaign } from "../../src/storage/campaigns.ts";
import { listInbound } from "../../src/storage/inbound.ts";
import { queryMessages } from "../../src/services/message-view.ts";
import { isSuppressed } from "../../src/storage/suppressions.ts";
import { ABSORB_MAX, absorbWebhooks, WEBHOOK_JOB } from "../../src/services/webhooks-in.ts";
import { getMessage, insertMessageSync } from "../../src/storage/messages.ts";
import type { AuthContext } from "../../src/deps.ts";
import { startFakeTwilio, type FakeTwilio } from "../helpers/fake-twilio.ts";
import { settle } from "../helpers/settle.ts";
import { makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
let twilio: FakeTwilio;
let auth: AuthContext;
let accountId: string;
const OUR_NUMBER = "+12025550100";

beforeEach(async () => {
  sys = makeSystem();
  twilio = startFakeTwilio({ now: () => sys.clock.now() });
  auth = await makeCompany(sys);
  const account = await createAccount(sys.deps, auth.company.id, {
    name: "Twilio", driver: "twilio", config: { accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url },
  });
  accountId = account.id;
  await addNumber(sys.deps, auth.company.id, accountId, { number: OUR_NUMBER, type: "long_code" });
});
afterEach(async () => {
  twilio.stop();
  await sys.destroy();
});

const hookUrl = () => `http://pombo.test/webhooks/twilio/${accountId}`;

/** Posts a provider webhook through the real HTTP app. */
async function post(req: WebhookRequest): Promise<Response> {
  return sys.app.handle(new Request(req.url, { method: req.method, headers: req.headers, body: req.body }));
}

async function sendCampaign(to: string[]) {
  const list = await makeList(sys, auth, to.map((phone) => ({ phone })));
  const c = await createCampaign(sys.deps, auth, { name: "C", accountId, listIds: [list.id], body: "Sale today" });
  await settle(sys);
  await changeCampaignStatus(sys.deps, auth, c.id, "start");
  await sys.tick();
  sys.clock.advance(60_000);
  await settle(sys);
  return c;
}
const view = (id: string) => campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, id)!);

describe("delivery reports through the webhook path", () => {
  test("a signed status callback is stored, answered with TwiML and applied", async () => {
    const c = await sendCampaign(phones(1));
    expect(twilio.messages).toHaveLength(1);
    const res = await post(twilio.statusCallback(twilio.messages[0]!.sid, "delivered"));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<Response");
    await settle(sys);
    expect(view(c.id).counts).toMatchObject({ delivered: 1, sent: 0 });
  });

  test("reports are applied as they move in from the inbox, with no job of their own; inbound messages still queue one", async () => {
    const c = await sendCampaign(phones(3));
    const webhooks = () => sys.deps.queue.stats().find((q) => q.name === "webhooks")!;
    const before = webhooks();
    for (const m of twilio.messages) expect((await post(twilio.statusCallback(m.sid, "delivered"))).status).toBe(200);
    await sys.deps.queue.settled(); // the inbox move only: no job is run
    expect(view(c.id).counts).toMatchObject({ delivered: 3, sent: 0 });
    expect(webhooks().depth).toBe(before.depth);
    expect((await post(twilio.inbound(hookUrl(), { from: phones(1)[0]!, to: OUR_NUMBER, body: "hi" }))).status).toBe(200);
    await sys.deps.queue.settled();
    expect(webhooks().depth).toBe(before.depth + 1);
  });

  test("one inbox move applies at most ABSORB_MAX reports; the rest are queued as jobs and applied by them", async () => {
    const s = sys.deps.storage;
    const n = ABSORB_MAX + 50;
    const ids = Array.from({ length: n }, (_, i) => `absorb${i}`);
    await s.env.transaction(() => {
      ids.forEach((id, i) => {
        insertMessageSync(s, { v: 1, id, companyId: auth.company.id, accountId, to: `+1202${2000000 + i}`, from: OUR_NUMBER, body: "Hi", segments: 1, encoding: "GSM-7", status: "sent", tz: "", rand: 0, createdAt: 0, sentAt: 0, providerId: `SM${id}` });
        s.db("providerIds").putSync([accountId, `SM${id}`], id);
      });
    });
    // Stored webhooks as Twilio posts them (already verified when accepted: absorbing only parses).
    const report = (id: string): WebhookRequest => ({
      url: hookUrl(), method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ MessageSid: `SM${id}`, MessageStatus: "delivered", AccountSid: twilio.accountSid }).toString(),
    });
    const jobs = ids.map((id) => ({ driver: "twilio", accountId, req: report(id) }));
    const later = await s.env.transaction(() => absorbWebhooks(sys.deps, jobs));
    expect(later).toHaveLength(n - ABSORB_MAX);
    expect(later.every((j) => j.name === WEBHOOK_JOB)).toBe(true);
    const delivered = () => ids.filter((id) => getMessage(s, id)!.status === "delivered").length;
    expect(delivered()).toBe(ABSORB_MAX);
    await sys.deps.queue.enqueueMany(later);
    await settle(sys);
    expect(delivered()).toBe(n);
  });

  test("a tampered or unsigned callback gets 403 and nothing is stored", async () => {
    await sendCampaign(phones(1));
    const req = twilio.statusCallback(twilio.messages[0]!.sid, "delivered");
    const before = sys.deps.queue.stats().find((q) => q.name === "webhooks")!;
    const tampered = await post({ ...req, body: req.body.replace("delivered", "failed") });
    const { ["x-twilio-signature"]: _, ...unsigned } = req.headers;
    const missing = await post({ ...req, headers: unsigned });
    expect(tampered.status).toBe(403);
    expect(missing.status).toBe(403);
    expect((await tampered.json()).error.code).toBe("bad_signature");
    const after = sys.deps.queue.stats().find((q) => q.name === "webhooks")!;
    expect(after.depth + after.delayed).toBe(before.depth + before.delayed);
  });

  test("reports in any order leave the final status: a late 'sent' never undoes 'delivered'", async () => {
    const c = await sendCampaign(phones(20));
    const reports = twilio.messages.flatMap((m, i) => {
      const final = i % 4 === 0 ? "undelivered" : "delivered";
      return [twilio.statusCallback(m.sid, "sent"), twilio.statusCallback(m.sid, final), twilio.statusCallback(m.sid, "sent")];
    });
    // Shuffle deterministically and deliver some twice.
    const order = reports.map((r, i) => ({ r, k: (i * 7919) % reports.length })).sort((a, b) => a.k - b.k).map((x) => x.r);
    for (const r of [...order, ...order.slice(0, 10)]) expect((await post(r)).status).toBe(200);
    await settle(sys);
    expect(view(c.id).counts).toMatchObject({ total: 20, delivered: 15, undelivered: 5, sent: 0, queued: 0 });
  });

  test("carrier opt-out error 21610 suppresses the number", async () => {
    const [p] = phones(1);
    twilio.optOut(p!);
    const c = await sendCampaign([p!]);
    expect(view(c.id).counts.failed).toBe(1);
    expect(isSuppressed(sys.deps.storage, auth.company.id, p!)).toBe(true);
  });
});

describe("inbound replies", () => {
  async function reply(from: string, body: string) {
    const res = await post(twilio.inbound(hookUrl(), { from, to: OUR_NUMBER, body }));
    expect(res.status).toBe(200);
    await settle(sys);
  }
  const sentTo = (phone: string) => twilio.messages.filter((m) => m.to === phone).map((m) => m.body);

  test("STOP suppresses, confirms once, and the next campaign skips the number; START lifts it", async () => {
    const [p] = phones(1);
    const c1 = await sendCampaign([p!]);
    await reply(p!, "  stop ");
    await reply(p!, "STOP");
    expect(isSuppressed(sys.deps.storage, auth.company.id, p!)).toBe(true);
    expect(sentTo(p!).filter((b) => b.includes("unsubscribed"))).toHaveLength(1);
    const inbound = listInbound(sys.deps.storage, auth.company.id, { phone: p!, limit: 10 }).items;
    expect(inbound).toHaveLength(2);
    // Newest first: the second STOP answers the confirmation, the first one the campaign's message.
    const [campaignMessage] = queryMessages(sys.deps.storage, auth.company.id, { campaignId: c1.id, limit: 1 }).items;
    const [confirmation] = queryMessages(sys.deps.storage, auth.company.id, { phone: p!, limit: 1 }).items;
    expect(confirmation).toMatchObject({ kind: "stop_confirm" });
    expect(inbound.map((m) => m.replyTo)).toEqual([confirmation!.id, campaignMessage!.id]);

    sys.clock.advance(25 * 3600_000);
    const c2 = await sendCampaign([p!]);
    expect(view(c2.id).skipped).toEqual({ suppressed: 1 });

    await reply(p!, "start");
    expect(isSuppressed(sys.deps.storage, auth.company.id, p!)).toBe(false);
    expect(sentTo(p!).at(-1)).toContain("subscribed again");
  });

  test("the company's own stop words count too; HELP answers with the help text", async () => {
    await updateComplianceSettings(sys.deps, auth.company.id, { stopWords: ["BASTA"], helpText: "Acme help: call 555" });
    const [a, b] = phones(2);
    await reply(a!, "basta");
    expect(isSuppressed(sys.deps.storage, auth.company.id, a!)).toBe(true);
    await reply(b!, "Help");
    expect(sentTo(b!)).toEqual(["Acme help: call 555"]);
  });

  test("a keyword sends its auto-reply, but never to a suppressed number", async () => {
    await createKeyword(sys.deps, auth.company.id, { keyword: "hours", reply: "Open 9-5" });
    const [a, b] = phones(2);
    await reply(a!, "HOURS");
    expect(sentTo(a!)).toEqual(["Open 9-5"]);
    await reply(b!, "stop");
    await reply(b!, "hours");
    expect(sentTo(b!).some((x) => x === "Open 9-5")).toBe(false);
    const replies = queryMessages(sys.deps.storage, auth.company.id, { phone: a!, limit: 10 }).items;
    expect(replies[0]).toMatchObject({ kind: "auto_reply", from: OUR_NUMBER, status: "sent" });
  });

  test("a webhook delivered twice is stored once", async () => {
    const req = twilio.inbound(hookUrl(), { from: phones(1)[0]!, to: OUR_NUMBER, body: "hello" });
    await post(req);
    await post(req);
    await settle(sys);
    expect(listInbound(sys.deps.storage, auth.company.id, { limit: 10 }).items).toHaveLength(1);
  });
});
