import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { addNumber, createAccount } from "../../src/services/accounts.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { getCampaign } from "../../src/storage/campaigns.ts";
import { DEFAULT_LOOKUP_LAG_MS } from "../../src/services/reconcile.ts";
import { queryMessages } from "../../src/services/message-view.ts";
import { getMessage, putMessageSync } from "../../src/storage/messages.ts";
import type { AuthContext } from "../../src/deps.ts";
import { startFakeTwilio, type FakeTwilio } from "../helpers/fake-twilio.ts";
import { settle } from "../helpers/settle.ts";
import { makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
let twilio: FakeTwilio;
let auth: AuthContext;
let accountId: string;

beforeEach(async () => {
  sys = makeSystem();
  twilio = startFakeTwilio({ now: () => sys.clock.now() });
  auth = await makeCompany(sys);
  accountId = (await createAccount(sys.deps, auth.company.id, {
    name: "Twilio", driver: "twilio", config: { accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url },
  })).id;
  await addNumber(sys.deps, auth.company.id, accountId, { number: "+12025550100", type: "long_code" });
});
afterEach(async () => {
  await twilio.stop();
  await sys.destroy();
});

async function startCampaign(n: number) {
  const list = await makeList(sys, auth, phones(n).map((phone) => ({ phone })));
  const c = await createCampaign(sys.deps, auth, { name: "C", accountId, listIds: [list.id], body: "Hello there" });
  await settle(sys);
  await changeCampaignStatus(sys.deps, auth, c.id, "start");
  return c;
}
const view = (id: string) => campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, id)!);
const later = async (ms: number) => {
  sys.clock.advance(ms);
  await settle(sys);
};

describe("provider faults", () => {
  test("429 with Retry-After: the message waits, the account's quota drops to 0 meanwhile, then it is sent once", async () => {
    const c = await startCampaign(1);
    twilio.fault({ kind: "status", status: 429, body: JSON.stringify({ code: 20429, message: "Too Many Requests" }), headers: { "retry-after": "30" } });
    await sys.tick();
    await settle(sys);
    expect(view(c.id).counts.queued).toBe(1);
    expect(sys.throttle.isHeld(accountId, sys.clock.now())).toBe(true);
    await later(31_000);
    expect(view(c.id).counts.sent).toBe(1);
    expect(twilio.sentTo(phones(1)[0]!)).toBe(1);
  });

  test("500s are retried with backoff and the message is sent exactly once", async () => {
    const c = await startCampaign(1);
    twilio.fault({ kind: "status", status: 500, body: "oops" }, 2);
    await sys.tick();
    for (let i = 0; i < 5; i++) await later(60_000);
    expect(view(c.id).counts.sent).toBe(1);
    expect(twilio.sentTo(phones(1)[0]!)).toBe(1);
  });

  test("an answer lost after Twilio took the message is settled from its Messages list, never re-sent", async () => {
    const c = await startCampaign(1);
    twilio.fault({ kind: "garbage", accept: true });
    await sys.tick();
    await settle(sys);
    const [m] = queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 1 }).items;
    expect(m!.state).toBe("unknown");
    await later(61_000);
    const [settled] = queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 1 }).items;
    expect(settled!.state).toBe("sent");
    expect(settled!.providerId).toBe(twilio.messages[0]!.sid);
    expect(twilio.sentTo(phones(1)[0]!)).toBe(1);
  });

  test("a connection dropped before Twilio stored anything is looked up, found absent, and sent once", async () => {
    const c = await startCampaign(1);
    twilio.fault({ kind: "close" });
    await sys.tick();
    await settle(sys);
    expect(twilio.sentTo(phones(1)[0]!)).toBe(0);
    await later(61_000);
    // Absent at the first look-up; asked again until Twilio's records can no longer lag, then sent once.
    expect(view(c.id).counts.unknown).toBe(1);
    expect(twilio.sentTo(phones(1)[0]!)).toBe(0);
    await later(DEFAULT_LOOKUP_LAG_MS);
    expect(view(c.id).counts.sent).toBe(1);
    expect(twilio.sentTo(phones(1)[0]!)).toBe(1);
  });

  test("a message found in 'sending' after a crash becomes unknown and is reconciled, not re-sent", async () => {
    const c = await startCampaign(1);
    await sys.tick();
    // Simulate the crash window: intent recorded, provider reached, result never written.
    const [m] = queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 1 }).items;
    await sys.deps.storage.env.transaction(() => {
      putMessageSync(sys.deps.storage, { ...getMessage(sys.deps.storage, m!.id)!, status: "sending" });
      sys.deps.storage.db("campaignCounts").putSync([c.id, "queued"], 0);
      sys.deps.storage.db("campaignCounts").putSync([c.id, "sending"], 1);
    });
    await fetch(`${twilio.url}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`, {
      method: "POST",
      headers: { authorization: "Basic " + btoa(`${twilio.accountSid}:${twilio.authToken}`), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: m!.to, From: m!.from, Body: m!.body }).toString(),
    });
    await later(1_000); // the send job runs again (at-least-once) and finds 'sending'
    expect(twilio.sentTo(m!.to)).toBe(1);
    await later(61_000);
    expect(view(c.id).counts).toMatchObject({ sent: 1, queued: 0 });
    expect(twilio.sentTo(m!.to)).toBe(1);
  });
});
