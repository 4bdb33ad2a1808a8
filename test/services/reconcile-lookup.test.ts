/**
 * Reconciliation through the Vonage and Telnyx look-ups (Reports API records search, Detail Record Search), the way
 * send-faults.test.ts checks it for Twilio: a send whose answer was lost is settled from the provider's records and
 * never sent twice; one the provider never stored is found absent and sent once.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { addNumber, createAccount } from "../../src/services/accounts.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { queryMessages } from "../../src/services/message-view.ts";
import { DEFAULT_LOOKUP_LAG_MS } from "../../src/services/reconcile.ts";
import { getCampaign } from "../../src/storage/campaigns.ts";
import type { AuthContext } from "../../src/deps.ts";
import type { Fault } from "../helpers/fake-http.ts";
import { startFakeTelnyx } from "../helpers/fake-telnyx.ts";
import { startFakeVonage } from "../helpers/fake-vonage.ts";
import { settle } from "../helpers/settle.ts";
import { makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

/** What each provider's case needs: its fake, the account config, and what the fake stored. */
interface ProviderCase {
  fault(f: Fault): void;
  config: Record<string, unknown>;
  sentTo(phone: string): number;
  storedIds(): string[];
  stop(): Promise<void>;
}

const PROVIDERS: Record<string, (now: () => number) => ProviderCase> = {
  vonage(now) {
    const f = startFakeVonage({ now });
    return {
      fault: (x) => f.fault(x), stop: () => f.stop(),
      config: { apiKey: f.apiKey, apiSecret: f.apiSecret, signatureSecret: f.signatureSecret, baseUrl: f.url },
      sentTo: (phone) => f.messages.filter((m) => `+${m.to}` === phone).length,
      storedIds: () => f.messages.map((m) => m.messageId),
    };
  },
  telnyx(now) {
    const f = startFakeTelnyx({ now });
    return {
      fault: (x) => f.fault(x), stop: () => f.stop(),
      config: { apiKey: f.apiKey, publicKey: f.publicKey, baseUrl: f.url },
      sentTo: (phone) => f.messages.filter((m) => m.to === phone).length,
      storedIds: () => f.messages.map((m) => m.id),
    };
  },
};

describe.each(Object.keys(PROVIDERS))("%s reconciliation", (driver) => {
  let sys: TestSystem;
  let provider: ProviderCase;
  let auth: AuthContext;
  let accountId: string;

  beforeEach(async () => {
    sys = makeSystem();
    provider = PROVIDERS[driver]!(() => sys.clock.now());
    auth = await makeCompany(sys);
    accountId = (await createAccount(sys.deps, auth.company.id, { name: driver, driver, config: provider.config })).id;
    await addNumber(sys.deps, auth.company.id, accountId, { number: "+12025550100", type: "long_code" });
  });
  afterEach(async () => {
    await provider.stop();
    await sys.destroy();
  });

  async function startCampaign() {
    const list = await makeList(sys, auth, phones(1).map((phone) => ({ phone })));
    const c = await createCampaign(sys.deps, auth, { name: "C", accountId, listIds: [list.id], body: "Hello there" });
    await settle(sys);
    await changeCampaignStatus(sys.deps, auth, c.id, "start");
    return c;
  }
  const only = (campaignId: string) => queryMessages(sys.deps.storage, auth.company.id, { campaignId, limit: 1 }).items[0]!;
  const later = async (ms: number) => {
    sys.clock.advance(ms);
    await settle(sys);
  };

  test("an answer lost after the provider took the message is settled from its records, never re-sent", async () => {
    const c = await startCampaign();
    provider.fault({ kind: "garbage", accept: true });
    await sys.tick();
    await settle(sys);
    expect(only(c.id).state).toBe("unknown");
    await later(61_000);
    expect(only(c.id).state).toBe("sent");
    expect(only(c.id).providerId).toBe(provider.storedIds()[0]!);
    expect(provider.sentTo(phones(1)[0]!)).toBe(1);
  });

  test("a connection dropped before the provider stored anything is looked up, found absent, and sent once", async () => {
    const c = await startCampaign();
    provider.fault({ kind: "close" });
    await sys.tick();
    await settle(sys);
    expect(provider.sentTo(phones(1)[0]!)).toBe(0);
    await later(61_000);
    // Not in the records at the first look-up: asked again until the provider's records can no longer lag.
    expect(only(c.id).state).toBe("unknown");
    expect(provider.sentTo(phones(1)[0]!)).toBe(0);
    await later(sys.deps.drivers.get(driver)!.lookupLagMs ?? DEFAULT_LOOKUP_LAG_MS);
    expect(campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, c.id)!).counts.sent).toBe(1);
    expect(provider.sentTo(phones(1)[0]!)).toBe(1);
  });
});

describe("look-ups of records that lag behind the send (Vonage's Reports API)", () => {
  let sys: TestSystem;
  let auth: AuthContext;
  let vonage: ReturnType<typeof startFakeVonage>;

  afterEach(async () => {
    await vonage.stop();
    await sys.destroy();
  });

  test("a message the provider took but does not list yet is looked up again, settled when listed, never re-sent", async () => {
    sys = makeSystem();
    // Listed 8 minutes after it was taken: the first look-up (after 61 s) misses it, a later one finds it.
    vonage = startFakeVonage({ now: () => sys.clock.now(), recordsLagMs: 8 * 60_000 });
    auth = await makeCompany(sys);
    const account = await createAccount(sys.deps, auth.company.id, { name: "v", driver: "vonage", config: { apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, signatureSecret: vonage.signatureSecret, baseUrl: vonage.url } });
    await addNumber(sys.deps, auth.company.id, account.id, { number: "+12025550100", type: "long_code" });
    const list = await makeList(sys, auth, phones(1).map((phone) => ({ phone })));
    const c = await createCampaign(sys.deps, auth, { name: "C", accountId: account.id, listIds: [list.id], body: "Hello there" });
    await settle(sys);
    await changeCampaignStatus(sys.deps, auth, c.id, "start");
    vonage.fault({ kind: "garbage", accept: true });
    await sys.tick();
    await settle(sys);
    const state = () => queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 1 }).items[0]!.state;
    expect(state()).toBe("unknown");
    for (let minute = 1; minute <= 12; minute++) {
      sys.clock.advance(61_000);
      await settle(sys);
      expect(vonage.messages.filter((m) => `+${m.to}` === phones(1)[0]).length).toBe(1); // never a second send
    }
    expect(state()).toBe("sent");
    expect(queryMessages(sys.deps.storage, auth.company.id, { campaignId: c.id, limit: 1 }).items[0]!.providerId).toBe(vonage.messages[0]!.messageId);
  });
});
