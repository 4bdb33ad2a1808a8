import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { insertMessageSync, type Message } from "../../src/storage/messages.ts";
import { getRecipient, lastSentMessage, recipientKey, rekeyRecipientsSync } from "../../src/storage/recipients.ts";
import { makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real LMDB: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

const msg = (id: string, sentAt?: number): Message => ({
  v: 1, id, companyId: "co", accountId: "acc", to: "+12025550100", body: "hi", segments: 1, encoding: "GSM-7",
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

describe("recipient keys", () => {
  test("schema 4 moves every [company, phone] record to [company, slot, phone], in chunks, and nothing else", async () => {
    sys = makeSystem();
    const s = sys.deps.storage;
    const db = s.db("recipients");
    const old = ["co-a", "co-b", "co-c"].flatMap((co) => Array.from({ length: 7 }, (_, i) => ({ co, phone: `+1202555${String(i).padStart(4, "0")}`, rec: { lastCampaignAt: i, lastCampaignMsg: `${co}-${i}` } })));
    await s.env.transaction(() => old.forEach(({ co, phone, rec }) => db.putSync([co, phone], rec)));
    s.env.transactionSync(() => rekeyRecipientsSync(s, 4));
    const keys = [...db.getKeys()] as unknown[][];
    expect(keys).toHaveLength(old.length);
    expect(keys.every((k) => k.length === 3 && typeof k[1] === "number")).toBe(true);
    for (const { co, phone, rec } of old) expect(getRecipient(s, co, phone)).toEqual(rec);
    expect(recipientKey("co-a", "+12025550000")).toEqual(["co-a", Bun.hash.murmur32v3("co-a+12025550000"), "+12025550000"]);
  });
});
