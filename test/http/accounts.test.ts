import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { getAccountById, listAccountIds, listNumbers } from "../../src/storage/accounts.ts";
import { accountQuotaPerMinute } from "../../src/services/accounts.ts";
import { toDriverAccount } from "../../src/services/account-config.ts";
import { api, makeTwoTenants } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: Awaited<ReturnType<typeof makeTwoTenants>>;
beforeEach(async () => {
  t = await makeTwoTenants();
});
afterEach(() => t.close());

const SID = "AC" + "0123456789abcdef".repeat(2);
const TOKEN = "s3cr3t-auth-token-do-not-leak";
const twilio = { name: "Main Twilio", driver: "twilio", config: { accountSid: SID, authToken: TOKEN } };

async function create(body: unknown, cookie = t.a) {
  const res = await api(t.app, cookie, "POST", "/api/v1/accounts", body);
  return { status: res.status, json: (await res.json()) as any };
}

test("GET /drivers lists the registry with which fields are secret", async () => {
  const res = await api(t.app, t.a, "GET", "/api/v1/drivers");
  expect(res.status).toBe(200);
  const drivers = (await res.json()) as any[];
  expect(drivers[0].name).toBe("sandbox");
  const tw = drivers.find((d) => d.name === "twilio");
  expect(tw.fields.find((f: any) => f.name === "authToken")).toMatchObject({ label: expect.any(String), secret: true });
});

test("a new account defaults to the sandbox driver and has quota 0 until it has numbers", async () => {
  const { status, json } = await create({ name: "QA" });
  expect(status).toBe(201);
  expect(json.webhookUrl).toBe(`http://pombo.test/webhooks/sandbox/${json.id}`);
  expect(json).toMatchObject({ name: "QA", driver: "sandbox", quotaPerMinute: 0, numbers: [], paused: false });
});

test("secrets are never returned, stored only encrypted, and decrypted for the driver", async () => {
  const { status, json } = await create(twilio);
  expect(status).toBe(201);
  expect(JSON.stringify(json)).not.toContain(TOKEN);
  expect(json.config).toEqual({ accountSid: SID });
  expect(json.secretsSet).toEqual(["authToken"]);
  const listed = await (await api(t.app, t.a, "GET", "/api/v1/accounts")).text();
  expect(listed).not.toContain(TOKEN);
  const raw = t.deps.storage.db("accounts").getBinary([(await companyOf(json.id)), json.id]);
  expect(new TextDecoder("latin1").decode(raw!)).not.toContain(TOKEN);
  expect(new TextDecoder("latin1").decode(raw!)).toContain(SID);
  const driverAccount = toDriverAccount(t.deps, getAccountById(t.deps.storage, json.id)!);
  expect(driverAccount).toEqual({ id: json.id, config: { accountSid: SID, authToken: TOKEN }, webhookUrl: `http://pombo.test/webhooks/twilio/${json.id}` });
  expect(t.logs.join("")).not.toContain(TOKEN);
});

test("PATCH keeps a secret left empty, replaces one given, and clears a non-secret set to null", async () => {
  const { json } = await create({ ...twilio, config: { ...twilio.config, baseUrl: "http://127.0.0.1:9" } });
  const patch = (body: unknown) => api(t.app, t.a, "PATCH", `/api/v1/accounts/${json.id}`, body);
  let res = await patch({ name: "Renamed", config: { authToken: "", baseUrl: null }, perMinuteCap: 100, paused: true });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ name: "Renamed", config: { accountSid: SID }, perMinuteCap: 100, paused: true, secretsSet: ["authToken"] });
  expect(toDriverAccount(t.deps, getAccountById(t.deps.storage, json.id)!).config).toEqual({ accountSid: SID, authToken: TOKEN });
  res = await patch({ config: { authToken: "new-token" }, perMinuteCap: null });
  expect((await res.json() as any).perMinuteCap).toBeNull();
  expect(toDriverAccount(t.deps, getAccountById(t.deps.storage, json.id)!).config.authToken).toBe("new-token");
});

test("config is checked against the driver: unknown driver, unknown field, missing required field → 422", async () => {
  expect((await create({ name: "x", driver: "nope" })).json.error.code).toBe("unknown_driver");
  expect((await create({ name: "x", config: { bogus: 1 } })).json.error.code).toBe("unknown_config_field");
  const missing = await create({ name: "x", driver: "twilio", config: { accountSid: SID } });
  expect(missing.status).toBe(422);
  expect(missing.json.error).toEqual({ code: "invalid_config", message: expect.stringContaining("authToken") });
  const badSandbox = await create({ name: "x", config: { failureRate: 2 } });
  expect(badSandbox.status).toBe(422);
  expect((await create({ name: "x", perMinuteCap: "lots" })).status).toBe(422);
  expect((await create("{not json")).status).toBe(400);
});

test("numbers: E.164 normalised, short codes as digits, duplicates 409, quota from the formula", async () => {
  const { json: acc } = await create({ name: "pool", perMinuteCap: 10_000 });
  const add = (body: unknown) => api(t.app, t.a, "POST", `/api/v1/accounts/${acc.id}/numbers`, body);
  let res = await add({ number: "+1 (202) 555-0123", type: "long_code" });
  expect(res.status).toBe(201);
  expect(await res.json()).toMatchObject({ number: "+12025550123", type: "long_code", mps: 1, mpsDefault: true });
  expect((await add({ number: "+18005550199", type: "toll_free" })).status).toBe(201);
  expect((await add({ number: "+12025550124", type: "long_code", mps: 2 })).status).toBe(201);
  expect((await add({ number: "12345", type: "short_code" })).status).toBe(201);
  res = await add({ number: "+12025550123", type: "long_code" });
  expect(res.status).toBe(409);
  expect((await res.json() as any).error.code).toBe("number_exists");
  expect((await add({ number: "12345", type: "long_code" })).status).toBe(422);
  expect((await add({ number: "+1555", type: "long_code" })).status).toBe(422);
  expect((await add({ number: "+12025550125", type: "landline" })).status).toBe(422);
  expect((await add({ number: "+12025550125", type: "long_code", mps: 0 })).status).toBe(422);
  const got = await (await api(t.app, t.a, "GET", `/api/v1/accounts/${acc.id}`)).json() as any;
  // (1 + 3 + 2 + 100) × 60 × 0.9 = 5724, under the 10,000 cap
  expect(got.quotaPerMinute).toBe(5724);
  expect(got.numbers).toHaveLength(4);
  const companyId = await companyOf(acc.id);
  expect(accountQuotaPerMinute(t.deps.storage, companyId, acc.id)).toBe(5724);
  res = await api(t.app, t.a, "DELETE", `/api/v1/accounts/${acc.id}/numbers/${encodeURIComponent("+12025550124")}`);
  expect(res.status).toBe(200);
  expect(listNumbers(t.deps.storage, companyId, acc.id).map((n) => n.number)).toEqual(["+12025550123", "+18005550199", "12345"]);
  expect((await api(t.app, t.a, "DELETE", `/api/v1/accounts/${acc.id}/numbers/12345`)).status).toBe(200);
  expect((await api(t.app, t.a, "DELETE", `/api/v1/accounts/${acc.id}/numbers/12345`)).status).toBe(404);
});

test("a paused account gives the tick a quota of 0", async () => {
  const { json: acc } = await create({ name: "p" });
  await api(t.app, t.a, "POST", `/api/v1/accounts/${acc.id}/numbers`, { number: "+12025550123", type: "long_code" });
  const companyId = await companyOf(acc.id);
  expect(accountQuotaPerMinute(t.deps.storage, companyId, acc.id)).toBe(54);
  await api(t.app, t.a, "PATCH", `/api/v1/accounts/${acc.id}`, { paused: true });
  expect(accountQuotaPerMinute(t.deps.storage, companyId, acc.id)).toBe(0);
});

test("another company's account answers 404 on every route, and is not listed", async () => {
  const { json: acc } = await create(twilio);
  for (const [method, path, body] of [
    ["GET", `/api/v1/accounts/${acc.id}`],
    ["PATCH", `/api/v1/accounts/${acc.id}`, { name: "mine" }],
    ["DELETE", `/api/v1/accounts/${acc.id}`],
    ["POST", `/api/v1/accounts/${acc.id}/numbers`, { number: "+12025550123", type: "long_code" }],
    ["DELETE", `/api/v1/accounts/${acc.id}/numbers/${encodeURIComponent("+12025550123")}`],
  ] as const) {
    const res = await api(t.app, t.b, method, path, body);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "account_not_found", message: expect.any(String) } });
  }
  expect(await (await api(t.app, t.b, "GET", "/api/v1/accounts")).json()).toEqual({ items: [] });
  expect((await api(t.app, t.a, "GET", `/api/v1/accounts/${acc.id}`)).status).toBe(200);
});

test("DELETE removes the account, its index entry and its numbers", async () => {
  const { json: acc } = await create({ name: "gone" });
  await api(t.app, t.a, "POST", `/api/v1/accounts/${acc.id}/numbers`, { number: "+12025550123", type: "long_code" });
  const companyId = await companyOf(acc.id);
  expect(listAccountIds(t.deps.storage)).toContain(acc.id);
  expect((await api(t.app, t.a, "DELETE", `/api/v1/accounts/${acc.id}`)).status).toBe(200);
  expect(getAccountById(t.deps.storage, acc.id)).toBeUndefined();
  expect(listAccountIds(t.deps.storage)).not.toContain(acc.id);
  expect(listNumbers(t.deps.storage, companyId, acc.id)).toEqual([]);
  expect((await api(t.app, t.a, "GET", `/api/v1/accounts/${acc.id}`)).status).toBe(404);
});

test("every account route needs auth", async () => {
  for (const path of ["/api/v1/accounts", "/api/v1/drivers"]) {
    expect((await t.app.handle(new Request(`http://pombo.test${path}`))).status).toBe(401);
  }
});

async function companyOf(accountId: string): Promise<string> {
  return t.deps.storage.db("accountIndex").get(accountId);
}
