import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { findKeyword } from "../../src/services/keywords.ts";
import { api, makeTwoTenants } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: Awaited<ReturnType<typeof makeTwoTenants>>;
let companyA: string;
beforeEach(async () => {
  t = await makeTwoTenants();
  companyA = t.companyA;
});
afterEach(() => t.close());

const create = (body: unknown, cookie = t.a) => api(t.app, cookie, "POST", "/api/v1/keywords", body);

test("a keyword is stored upper-cased and matched case-insensitively on the trimmed text", async () => {
  const res = await create({ keyword: "  promo ", reply: "10% off today" });
  expect(res.status).toBe(201);
  const k = await res.json() as any;
  expect(k).toMatchObject({ keyword: "PROMO", reply: "10% off today" });
  expect(findKeyword(t.deps.storage, companyA, " Promo\n")?.reply).toBe("10% off today");
  expect(findKeyword(t.deps.storage, companyA, "promo please")).toBeUndefined();
  expect(await (await api(t.app, t.a, "GET", "/api/v1/keywords")).json()).toEqual({ items: [k] });
});

test("the lookup cache follows creates and deletes", async () => {
  expect(findKeyword(t.deps.storage, companyA, "INFO")).toBeUndefined();
  const k = await (await create({ keyword: "info", reply: "We are Pombo" })).json() as any;
  expect(findKeyword(t.deps.storage, companyA, "info")?.id).toBe(k.id);
  expect((await api(t.app, t.a, "DELETE", `/api/v1/keywords/${k.id}`)).status).toBe(200);
  expect(findKeyword(t.deps.storage, companyA, "info")).toBeUndefined();
  expect((await api(t.app, t.a, "DELETE", `/api/v1/keywords/${k.id}`)).status).toBe(404);
});

test.each([["stop"], ["Unsubscribe"], ["START"], ["unstop"], ["help"]])("%s cannot be a keyword (422)", async (word) => {
  const res = await create({ keyword: word, reply: "x" });
  expect(res.status).toBe(422);
  expect((await res.json() as any).error.code).toBe("reserved_keyword");
});

test("the company's own stop words are reserved too; two words and empty replies are refused", async () => {
  await api(t.app, t.a, "PUT", "/api/v1/settings/compliance", { stopWords: ["arret"] });
  expect((await create({ keyword: "ARRET", reply: "x" })).status).toBe(422);
  expect((await create({ keyword: "two words", reply: "x" })).status).toBe(422);
  expect((await create({ keyword: "ok", reply: "   " })).status).toBe(422);
  expect((await create({ keyword: "ok" })).status).toBe(422);
});

test("a duplicate keyword is 409; another company may use the same word", async () => {
  expect((await create({ keyword: "deal", reply: "a" })).status).toBe(201);
  const dup = await create({ keyword: "DEAL", reply: "b" });
  expect(dup.status).toBe(409);
  expect((await dup.json() as any).error.code).toBe("keyword_exists");
  expect((await create({ keyword: "deal", reply: "b" }, t.b)).status).toBe(201);
});

test("another company's keyword is invisible and answers 404", async () => {
  const k = await (await create({ keyword: "deal", reply: "a" })).json() as any;
  expect(await (await api(t.app, t.b, "GET", "/api/v1/keywords")).json()).toEqual({ items: [] });
  const res = await api(t.app, t.b, "DELETE", `/api/v1/keywords/${k.id}`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: { code: "keyword_not_found", message: expect.any(String) } });
  expect(findKeyword(t.deps.storage, companyA, "deal")).toBeDefined();
});
