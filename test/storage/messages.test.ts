import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { insertMessageSync, lastSentMessage, type Message } from "../../src/storage/messages.ts";
import { makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real LMDB: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

const msg = (id: string, sentAt?: number): Message => ({
  v: 1, id, companyId: "co", accountId: "acc", to: "+12025550100", body: "hi", segments: 1, encoding: "gsm7",
  status: sentAt === undefined ? "queued" : "sent", tz: "", rand: 0, createdAt: 0, sentAt,
});

describe("lastSentMessage (what a reply answers)", () => {
  test("the latest sent among the recipient's last reply, last and previous campaign messages; unsent ones never", async () => {
    sys = makeSystem();
    const s = sys.deps.storage;
    await s.env.transaction(() => {
      for (const m of [msg("reply", 2_000), msg("campaignOld", 1_000), msg("campaignNew", 3_000), msg("campaignQueued")]) insertMessageSync(s, m);
    });
    expect(lastSentMessage(s, undefined)).toBeUndefined();
    expect(lastSentMessage(s, { lastOutboundMsg: "reply", lastCampaignMsg: "campaignNew", prevCampaignMsg: "campaignOld" })).toBe("campaignNew");
    expect(lastSentMessage(s, { lastOutboundMsg: "reply", lastCampaignMsg: "campaignOld" })).toBe("reply");
    // A campaign message queued but not yet sent: the one before it is still the last sent.
    expect(lastSentMessage(s, { lastCampaignMsg: "campaignQueued", prevCampaignMsg: "campaignOld" })).toBe("campaignOld");
    expect(lastSentMessage(s, { lastCampaignMsg: "campaignQueued", prevCampaignMsg: "missing" })).toBeUndefined();
  });
});
