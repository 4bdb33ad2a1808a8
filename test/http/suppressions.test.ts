import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { isSuppressed } from "../../src/storage/suppressions.ts";
import { api, makeTwoTenants } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: Awaited<ReturnType<typeof makeTwoTenants>>;
let companyA: string;
beforeEach(async () => {
  t = await makeTwoTenants();
  companyA = t.companyA;
});
afterEach(() => t.close());

const add = (body: unknown, cookie = t.a) => api(t.app, cookie, "POST", "/api/v1/suppressions", body);

test("POST normalises to E.164 with reason manual by default; repeating it keeps the first record", async () => {
  const res = await add({ phone: "(202) 555-0123" });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ phone: "+12025550123", reason: "manual", at: new Date(t.clock.now()).toISOString() });
  expect(isSuppressed(t.deps.storage, companyA, "+12025550123")).toBe(true);
  t.clock.advance(60_000);
  const again = await add({ phone: "+1 202 555 0123", reason: "complaint" });
  expect(again.status).toBe(200);
  expect((await again.json() as any).reason).toBe("manual");
});

test("an invalid number is 422, a missing phone is 422", async () => {
  expect((await add({ phone: "hello" })).status).toBe(422);
  expect((await add({ phone: "+1555" })).status).toBe(422);
  expect((await add({ reason: "x" })).status).toBe(422);
});

test("GET searches by prefix and pages with a cursor", async () => {
  for (const p of ["+12025550101", "+12025550102", "+12025550103", "+447911123456"]) await add({ phone: p, reason: "stop_word" });
  let res = await api(t.app, t.a, "GET", `/api/v1/suppressions?phone=${encodeURIComponent("+1202")}&limit=2`);
  expect(res.status).toBe(200);
  const first = await res.json() as any;
  expect(first.items.map((i: any) => i.phone)).toEqual(["+12025550101", "+12025550102"]);
  expect(first.items[0]).toEqual({ phone: "+12025550101", reason: "stop_word", at: expect.any(String) });
  res = await api(t.app, t.a, "GET", `/api/v1/suppressions?phone=1202&limit=2&cursor=${encodeURIComponent(first.next)}`);
  const second = await res.json() as any;
  expect(second).toEqual({ items: [expect.objectContaining({ phone: "+12025550103" })] });
  expect((await (await api(t.app, t.a, "GET", "/api/v1/suppressions")).json() as any).items).toHaveLength(4);
  expect((await api(t.app, t.a, "GET", "/api/v1/suppressions?limit=0")).status).toBe(422);
  expect((await api(t.app, t.a, "GET", "/api/v1/suppressions?limit=lots")).status).toBe(422);
});

test("DELETE lifts a suppression (url-encoded +); a second DELETE is 404", async () => {
  await add({ phone: "+12025550123" });
  expect((await api(t.app, t.a, "DELETE", `/api/v1/suppressions/${encodeURIComponent("+12025550123")}`)).status).toBe(200);
  expect(isSuppressed(t.deps.storage, companyA, "+12025550123")).toBe(false);
  const res = await api(t.app, t.a, "DELETE", `/api/v1/suppressions/${encodeURIComponent("+12025550123")}`);
  expect(res.status).toBe(404);
  expect((await res.json() as any).error.code).toBe("suppression_not_found");
});

test("suppressions are per company: B neither sees nor lifts A's", async () => {
  await add({ phone: "+12025550123" });
  expect(await (await api(t.app, t.b, "GET", "/api/v1/suppressions")).json()).toEqual({ items: [] });
  expect((await api(t.app, t.b, "DELETE", `/api/v1/suppressions/${encodeURIComponent("+12025550123")}`)).status).toBe(404);
  expect(isSuppressed(t.deps.storage, companyA, "+12025550123")).toBe(true);
});
