import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { getMessage, type Message, putMessageSync } from "../../src/storage/messages.ts";
import { makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real LMDB: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

test("a message reads back exactly as written: every field, and absent optional ones absent", async () => {
  sys = makeSystem();
  const s = sys.deps.storage;
  const full: Message = {
    v: 1, id: "m1", companyId: "co", campaignId: "camp", accountId: "acc", to: "+12025550100", from: "+12025550199", body: "Hi",
    segments: 2, encoding: "UCS-2", status: "failed", tz: "America/New_York", rand: 123, createdAt: 1, queuedAt: 2, sentAt: 3,
    providerId: "SM1", reason: "suppressed", error: "boom", errorCode: "21610", kind: "auto_reply",
  };
  const bare: Message = { v: 1, id: "m2", companyId: "co", accountId: "acc", to: "+12025550101", body: "Yo", segments: 1, encoding: "GSM-7", status: "pending", tz: "", rand: 0, createdAt: 5 };
  await s.env.transaction(() => [full, bare].forEach((m) => putMessageSync(s, m)));
  expect(getMessage(s, "m1")).toStrictEqual(full);
  const got = getMessage(s, "m2")!;
  expect(got).toEqual(bare);
  expect(Object.entries(got).filter(([, v]) => v !== undefined).map(([k]) => k).sort()).toEqual(Object.keys(bare).sort());
});
