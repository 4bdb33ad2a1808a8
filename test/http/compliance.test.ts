import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { DEFAULT_COMPLIANCE } from "../../src/domain/compliance-settings.ts";
import { getComplianceSettings } from "../../src/services/compliance.ts";
import { api, makeTwoTenants } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: Awaited<ReturnType<typeof makeTwoTenants>>;
beforeEach(async () => {
  t = await makeTwoTenants();
});
afterEach(() => t.close());

const get = (cookie = t.a) => api(t.app, cookie, "GET", "/api/v1/settings/compliance");
const put = (body: unknown, cookie = t.a) => api(t.app, cookie, "PUT", "/api/v1/settings/compliance", body);

test("a company that never saved settings gets the defaults", async () => {
  const res = await get();
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ quietHours: { start: "08:00", end: "21:00" }, frequencyCapHours: 24, stopWords: [], helpText: DEFAULT_COMPLIANCE.helpText, timezone: "UTC" });
});

test("PUT saves, normalises stop words, keeps fields left out, and is per company", async () => {
  const res = await put({ quietHours: { start: "09:30", end: "20:00" }, stopWords: [" arret ", "Parar", "PARAR", "stop"], timezone: "America/New_York" });
  expect(res.status).toBe(200);
  const saved = { quietHours: { start: "09:30", end: "20:00" }, frequencyCapHours: 24, stopWords: ["ARRET", "PARAR"], helpText: DEFAULT_COMPLIANCE.helpText, timezone: "America/New_York" };
  expect(await res.json()).toEqual(saved);
  expect(await (await get()).json()).toEqual(saved);
  expect((await (await put({ frequencyCapHours: 0, helpText: "Call us" })).json() as any)).toMatchObject({ frequencyCapHours: 0, helpText: "Call us", stopWords: ["ARRET", "PARAR"] });
  expect((await (await get(t.b)).json() as any).timezone).toBe("UTC");
});

test("the in-memory copy the sending engine reads follows every PUT", async () => {
  const companyId = t.companyA;
  expect(getComplianceSettings(t.deps.storage, companyId).frequencyCapHours).toBe(24);
  await put({ frequencyCapHours: 48 });
  expect(getComplianceSettings(t.deps.storage, companyId).frequencyCapHours).toBe(48);
  expect(Object.isFrozen(getComplianceSettings(t.deps.storage, companyId).quietHours)).toBe(true);
});

test.each([
  ["an hour past 23", { quietHours: { start: "24:00", end: "21:00" } }],
  ["a time without minutes", { quietHours: { start: "8", end: "21:00" } }],
  ["an unknown time zone", { timezone: "Mars/Olympus_Mons" }],
  ["a cap over 720 hours", { frequencyCapHours: 721 }],
  ["a negative cap", { frequencyCapHours: -1 }],
  ["a fractional cap", { frequencyCapHours: 1.5 }],
  ["START as a stop word", { stopWords: ["start"] }],
  ["a stop word of two words", { stopWords: ["go away"] }],
  ["an empty help text", { helpText: "   " }],
  ["a cap that is not a number", { frequencyCapHours: "lots" }],
])("PUT refuses %s with 422", async (_name, body) => {
  const res = await put(body);
  expect(res.status).toBe(422);
  expect((await res.json() as any).error.code).toEqual(expect.any(String));
  expect((await (await get()).json() as any).frequencyCapHours).toBe(24);
});

test("a stop word that is already a keyword is refused with 409", async () => {
  await api(t.app, t.a, "POST", "/api/v1/keywords", { keyword: "promo", reply: "10% off" });
  const res = await put({ stopWords: ["PROMO"] });
  expect(res.status).toBe(409);
  expect((await res.json() as any).error.code).toBe("stop_word_is_keyword");
});

test("malformed JSON is 400 and no session is 401", async () => {
  expect((await put("{oops")).status).toBe(400);
  expect((await t.app.handle(new Request("http://pombo.test/api/v1/settings/compliance"))).status).toBe(401);
});
