import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { queryMessages } from "../../src/services/message-view.ts";
import { campaignMessageId, messageListingKey } from "../../src/storage/ids.ts";
import { insertMessageSync, type Message } from "../../src/storage/messages.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

/** A time-ordered id made at `t` (what newId makes at that moment). */
const idAt = (t: number) => Bun.randomUUIDv7("hex", t).replaceAll("-", "");

function message(id: string, companyId: string, to: string, campaignId?: string): Message {
  return {
    v: 1, id, companyId, campaignId, accountId: "acc", to, body: `body ${id}`, segments: 1, encoding: "GSM-7", status: "sent",
    tz: "", rand: 0, createdAt: 0,
  };
}

describe("message listings", () => {
  test("campaign message ids start with their pending rand and keep a time-ordered tail", () => {
    const id = campaignMessageId(0xab);
    expect(id.slice(0, 8)).toBe("000000ab");
    expect(messageListingKey(id)).toHaveLength(32);
    expect(messageListingKey(id)).toBe(id.slice(8));
    const plain = idAt(1_700_000_000_000);
    expect(messageListingKey(plain)).toBe(plain);
  });

  test("list newest first across random-prefixed campaign ids and plain ids, by company and by phone, with cursors", async () => {
    sys = makeSystem();
    const auth = await makeCompany(sys);
    const co = auth.company.id;
    const t = 1_767_225_600_000;
    // Oldest to newest; the random prefixes sort against creation order on purpose.
    const ids = [idAt(t), "ffffffff" + idAt(t + 1), idAt(t + 2), "00000000" + idAt(t + 3), "7fffffff" + idAt(t + 4)];
    const to = (i: number) => (i % 2 === 0 ? "+12025550100" : "+12025550101");
    await sys.deps.storage.env.transaction(() => {
      ids.forEach((id, i) => insertMessageSync(sys.deps.storage, message(id, co, to(i), id.length > 32 ? "camp" : undefined)));
    });
    const s = sys.deps.storage;
    const newestFirst = [...ids].reverse();

    const first = queryMessages(s, co, { limit: 2 });
    expect(first.items.map((m) => m.id)).toEqual(newestFirst.slice(0, 2));
    const second = queryMessages(s, co, { limit: 2, cursor: first.next });
    expect(second.items.map((m) => m.id)).toEqual(newestFirst.slice(2, 4));
    const third = queryMessages(s, co, { limit: 2, cursor: second.next });
    expect(third.items.map((m) => m.id)).toEqual(newestFirst.slice(4));
    expect(third.next).toBeUndefined();

    const even = queryMessages(s, co, { phone: "+12025550100", limit: 10 }).items.map((m) => m.id);
    expect(even).toEqual([ids[4], ids[2], ids[0]]);
    const odd = queryMessages(s, co, { phone: "+12025550101", limit: 1 });
    expect(odd.items.map((m) => m.id)).toEqual([ids[3]]);
    expect(queryMessages(s, co, { phone: "+12025550101", limit: 1, cursor: odd.next }).items.map((m) => m.id)).toEqual([ids[1]]);
    expect(queryMessages(s, co, { limit: 10 }).items.every((m) => m.body === `body ${m.id}`)).toBe(true);
  });
});
