/**
 * Reconciliation through the Vonage and Telnyx look-ups (Reports API records search, Detail Record Search), the way
 * send-faults.test.ts checks it for Twilio: a send whose answer was lost is settled from the provider's records and
 * never sent twice; one the provider never stored is found absent and sent once.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { addNumber, createAccount } from "../../src/services/accounts.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { queryMessages } from "../../src/services/message-view.ts";
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
    expect(campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, c.id)!).counts.sent).toBe(1);
    expect(provider.sentTo(phones(1)[0]!)).toBe(1);
  });
});
