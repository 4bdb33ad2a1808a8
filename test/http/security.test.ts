import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createToken } from "../../src/services/auth.ts";
import { createCampaign } from "../../src/services/campaigns.ts";
import { createEndpoint } from "../../src/services/webhook-endpoints.ts";
import { createKeyword } from "../../src/services/keywords.ts";
import { addSuppression } from "../../src/services/suppressions.ts";
import { queryMessages } from "../../src/services/message-view.ts";
import { settle } from "../helpers/settle.ts";
import { makeAccount, makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

/** Routes that answer without a session: login, health, docs, first-run hint, provider webhooks (signed). */
const PUBLIC = [/^\/healthz$/, /^\/metrics$/, /^\/api\/setup$/, /^\/api\/docs/, /^\/api\/openapi\.json$/, /^\/api\/v1\/auth\/login$/, /^\/webhooks\//, /^\/assets\//, /^\/$/, /^\/\*$/];

let sys: TestSystem;
let ids: Record<string, string>;
let cookieB: string;
const routes = () => sys.app.routes.filter((r) => !PUBLIC.some((p) => p.test(r.path)));

async function call(method: string, path: string, init: { cookie?: string; body?: string; headers?: Record<string, string> } = {}) {
  const body = method === "GET" || method === "HEAD" ? undefined : (init.body ?? "{}");
  const length: Record<string, string> = body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) };
  const res = await sys.app.handle(new Request(`http://pombo.test${path}`, {
    method, body,
    headers: { "content-type": "application/json", ...length, ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers },
  }));
  return { status: res.status, text: await res.text() };
}

async function loginCookie(email: string): Promise<string> {
  const res = await sys.app.handle(new Request("http://pombo.test/api/v1/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "correct horse" }),
  }));
  expect(res.status).toBe(200);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

/** Fills a route's params with company A's ids, by the resource the route names. */
function fill(path: string): string {
  return path.replace(/\/([a-z-]+)\/:(\w+)/g, (_m, res: string, param: string) => {
    if (param === "number") return `/${res}/${encodeURIComponent("+12025550100")}`;
    if (param === "phone") return `/${res}/${encodeURIComponent(ids.suppressed!)}`;
    return `/${res}/${ids[res] ?? "nope"}`;
  }).replace(/:(\w+)/g, (_m, p: string) => ids[p] ?? "x");
}

beforeAll(async () => {
  sys = makeSystem();
  const a = await makeCompany(sys, "Alpha");
  await makeCompany(sys, "Beta");
  const account = await makeAccount(sys, a);
  const list = await makeList(sys, a, phones(2).map((phone) => ({ phone })));
  const campaign = await createCampaign(sys.deps, a, { name: "Secret campaign", accountId: account.id, listIds: [list.id], body: "Alpha secret" });
  await settle(sys);
  const [msg] = queryMessages(sys.deps.storage, a.company.id, { campaignId: campaign.id, limit: 1 }).items;
  const kw = await createKeyword(sys.deps, a.company.id, { keyword: "alphakw", reply: "Alpha reply" });
  const ep = await createEndpoint(sys.deps, a.company.id, { url: "https://alpha.example/hook", events: ["message.status"], secret: "alpha-secret-123" });
  const tok = await createToken(sys.deps, a, "alpha token");
  await addSuppression(sys.deps, a.company.id, { phone: "+12025550999", reason: "manual" });
  ids = {
    accounts: account.id, lists: list.id, campaigns: campaign.id, messages: msg!.id, keywords: kw.id, "webhook-endpoints": ep.id,
    tokens: tok.id, users: a.user.id, suppressed: "+12025550999", imports: "imp-" + list.id, contacts: encodeURIComponent(phones(1)[0]!), jobs: "job-x",
  };
  cookieB = await loginCookie("owner@beta.test");
});
afterAll(async () => sys.destroy());

describe("authentication", () => {
  test("every /api/v1 route but login answers 401 without a session or token", async () => {
    const checked = routes();
    expect(checked.length).toBeGreaterThan(25);
    for (const r of checked) {
      const res = await call(r.method, r.path.replace(/:(\w+)/g, "x"));
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 401 });
      expect(JSON.parse(res.text).error.code).toBeString();
    }
  });

  test("a wrong password is 401; an unknown token is 401; a real token works", async () => {
    const bad = await sys.app.handle(new Request("http://pombo.test/api/v1/auth/login", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "owner@alpha.test", password: "wrong password" }),
    }));
    expect(bad.status).toBe(401);
    expect((await call("GET", "/api/v1/me", { headers: { authorization: "Bearer pmb_nope" } })).status).toBe(401);
    const created = JSON.parse((await call("POST", "/api/v1/tokens", { cookie: cookieB, body: JSON.stringify({ name: "ci" }) })).text);
    const me = await call("GET", "/api/v1/me", { headers: { authorization: `Bearer ${created.token}` } });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.text).company.name).toBe("Beta");
  });

  test("the session cookie is HttpOnly and SameSite", async () => {
    const res = await sys.app.handle(new Request("http://pombo.test/api/v1/auth/login", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "owner@beta.test", password: "correct horse" }),
    }));
    expect(res.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect(res.headers.get("set-cookie")).toMatch(/SameSite=Lax/);
  });

  test("a state-changing request with the cookie from a foreign Origin is refused", async () => {
    const res = await call("POST", "/api/v1/keywords", { cookie: cookieB, body: JSON.stringify({ keyword: "x", reply: "y" }), headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(403);
  });
});

describe("tenancy", () => {
  test("company B gets 404 for every one of company A's resources, on every route", async () => {
    for (const r of routes().filter((x) => x.path.includes(":"))) {
      const res = await call(r.method, fill(r.path), { cookie: cookieB });
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: r.path.includes(":") && [400, 422].includes(res.status) ? res.status : 404 });
      expect(res.text).not.toContain("Alpha");
    }
  });

  test("company B's listings never show company A's data", async () => {
    for (const r of routes().filter((x) => x.method === "GET" && !x.path.includes(":"))) {
      const res = await call("GET", r.path, { cookie: cookieB });
      expect(res.status).toBeLessThan(500);
      for (const id of Object.values(ids)) expect({ route: r.path, leaked: res.text.includes(id) }).toEqual({ route: r.path, leaked: false });
      expect(res.text).not.toContain("Alpha");
    }
    const byCampaign = await call("GET", `/api/v1/messages?campaignId=${ids.campaigns}`, { cookie: cookieB });
    expect(byCampaign.status).toBe(404);
  });
});

describe("bad input never gets a 500", () => {
  // Logout takes no body (and would end the session the other checks use).
  const writes = () => routes().filter((r) => ["POST", "PUT", "PATCH"].includes(r.method) && !r.path.includes("/imports") && !r.path.endsWith("/logout"));

  test("malformed JSON → 400 with the error shape", async () => {
    for (const r of writes()) {
      const res = await call(r.method, r.path.replace(/:(\w+)/g, "x"), { cookie: cookieB, body: "{not json" });
      expect({ route: r.path, status: res.status }).toEqual({ route: r.path, status: res.status === 404 ? 404 : 400 });
      expect(JSON.parse(res.text).error.code).toBeString();
    }
  });

  test("wrong types → a clean 4xx with the error shape", async () => {
    const bodies = ["[]", "42", '"s"', JSON.stringify({ name: 5, body: [], accountId: {}, listIds: "x", phone: 1, keyword: null, url: 7, events: "x", quietHours: 3 })];
    for (const r of writes()) {
      for (const body of bodies) {
        const res = await call(r.method, r.path.replace(/:(\w+)/g, "x"), { cookie: cookieB, body });
        expect({ route: r.path, body, ok: res.status >= 400 && res.status < 500 }).toEqual({ route: r.path, body, ok: true });
        expect(JSON.parse(res.text).error.message).toBeString();
      }
    }
  });

  test("an oversized JSON body → 413", async () => {
    const res = await call("POST", "/api/v1/keywords", { cookie: cookieB, body: JSON.stringify({ keyword: "x", reply: "y".repeat(2 * 1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.code).toBe("body_too_large");
  });
});
