/**
 * API body fuzzing: seeded JSON values of wrong types and sizes (wrong primitives, huge strings and arrays, deep
 * nesting, prototype keys, every known field name with a wrong-typed value) to every POST/PUT/PATCH route of
 * the app (enumerated from `app.routes`, like test/http/security.test.ts), on the company's real ids and on
 * unknown ones. Every answer must be a 4xx with the `{error:{code,message}}` shape — never a 2xx, never a 500.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createCampaign } from "../../src/services/campaigns.ts";
import { createKeyword } from "../../src/services/keywords.ts";
import { makeAccount, makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";
import { Prng } from "./prng.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const PER_ROUTE = 150;
let sys: TestSystem;
let cookie: string;
let ids: Record<string, string>;

beforeAll(async () => {
  sys = makeSystem();
  const a = await makeCompany(sys, "Fuzz");
  const account = await makeAccount(sys, a);
  const list = await makeList(sys, a, phones(2).map((phone) => ({ phone })));
  const campaign = await createCampaign(sys.deps, a, { name: "c", accountId: account.id, listIds: [list.id], body: "hi" });
  const kw = await createKeyword(sys.deps, a.company.id, { keyword: "fuzzkw", reply: "r" });
  ids = { accounts: account.id, lists: list.id, campaigns: campaign.id, keywords: kw.id };
  const res = await sys.app.handle(new Request("http://pombo.test/api/v1/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "owner@fuzz.test", password: "correct horse" }),
  }));
  cookie = res.headers.get("set-cookie")!.split(";")[0]!;
});
afterAll(async () => sys.destroy());

/** Every field name any write route reads: each gets a value of the wrong type or size. */
const FIELDS = ["name", "body", "accountId", "listIds", "startAt", "phone", "reason", "keyword", "reply", "url", "events", "secret", "quietHours", "start", "end",
  "frequencyCapHours", "stopWords", "helpText", "timezone", "driver", "config", "perMinuteCap", "number", "type", "mps", "email", "password", "from", "to", "paused", "deliveryDelayMs", "failureRate"];

/** A JSON value that is never a plain, short, well-formed string: the wrong type or an absurd size. */
function wrongValue(r: Prng, depth = 0): unknown {
  switch (r.int(0, depth > 3 ? 6 : 9)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53 + 1, 4294967296, 1e-300]);
    case 3: return "x".repeat(r.pick([100_000, 300_000]));
    case 4: return r.chance(0.5) ? "" : "💥".repeat(60_000);
    case 5: return [];
    case 6: return {};
    case 7: return depth === 0 && r.chance(0.2) ? Array.from({ length: 20_000 }, (_, i) => i) : Array.from({ length: r.int(1, 3) }, () => wrongValue(r, depth + 1));
    case 8: return Object.fromEntries(Array.from({ length: r.int(1, 4) }, () => [r.pick([...FIELDS, "__proto__", "constructor", "prototype"]), wrongValue(r, depth + 1)]));
    default: return r.pick([{ start: 5, end: [] }, { "__proto__": { isAdmin: true } }, JSON.parse('{"__proto__":{"role":"owner"}}')]);
  }
}

/** A value no field schema of the API accepts: a string past every maxLength, numbers where strings go, … */
function wrongForAnySchema(r: Prng, key: string): unknown {
  if (key === "config") return r.pick([[1, 2], "x", null, 5]);
  return r.pick(["x".repeat(300_000), [1, 2, 3], -1.5, { start: 5, end: [] }]);
}

/**
 * A body: a wrong top-level value, or an object holding at least one of the route's own fields (from its schema)
 * with a wrong value, plus other known field names; sometimes deep nesting.
 */
function wrongBody(r: Prng, own: string[]): string {
  if (r.chance(0.05)) return "[".repeat(5_000) + "]".repeat(5_000);
  if (r.chance(0.05)) return '{"a":'.repeat(2_000) + "1" + "}".repeat(2_000);
  if (r.chance(0.3)) return JSON.stringify(wrongValue(r));
  const o: Record<string, unknown> = {};
  for (let n = r.int(0, 4); n > 0; n--) o[r.pick(FIELDS)] = wrongValue(r);
  for (let n = own.length ? r.int(1, own.length) : 0; n > 0; n--) {
    const key = r.pick(own);
    o[key] = wrongForAnySchema(r, key);
  }
  return JSON.stringify(o);
}

/** Fills route params with this company's ids (by the resource the path names), or an unknown id. */
function fill(path: string, real: boolean): string {
  return path.replace(/\/([a-z-]+)\/:(\w+)/g, (_m, res: string) => `/${res}/${real ? (ids[res] ?? "nope") : "nope"}`).replace(/:(\w+)/g, "nope");
}

test(`${PER_ROUTE} wrong-typed or oversized JSON bodies per write route: always a 4xx with the error shape`, async () => {
  const r = new Prng(0xa11ce);
  // Logout would end the session; imports take CSV and webhooks have their own fuzzer.
  const routes = sys.app.routes.filter((x) => ["POST", "PUT", "PATCH"].includes(x.method) && x.path.startsWith("/api/") && !x.path.endsWith("/logout") && !x.path.endsWith("/imports"));
  expect(routes.length).toBeGreaterThan(15);
  const statuses: Record<number, number> = {};
  const problems: string[] = [];
  for (const route of routes) {
    // Action routes without a body schema (start, pause, retry…) act on real ids whatever the body: fuzz them on unknown ids.
    const schema = (route as { hooks?: { body?: { properties?: Record<string, unknown> } } }).hooks?.body;
    const hasBody = Boolean(schema);
    const own = Object.keys(schema?.properties ?? {});
    for (let i = 0; i < PER_ROUTE; i++) {
      const path = fill(route.path, hasBody && i % 2 === 0);
      const body = wrongBody(r, own);
      const res = await sys.app.handle(new Request(`http://pombo.test${path}`, {
        method: route.method, body,
        headers: { "content-type": r.chance(0.9) ? "application/json" : r.pick(["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"]), "content-length": String(Buffer.byteLength(body)), cookie },
      }));
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const text = await res.text();
      let shape = false;
      try {
        const e = JSON.parse(text).error;
        shape = typeof e?.code === "string" && typeof e?.message === "string";
      } catch {}
      if (res.status < 400 || res.status >= 500 || !shape) problems.push(`${route.method} ${path} ← ${body.slice(0, 160)}${body.length > 160 ? `… (${body.length} bytes)` : ""}: ${res.status} ${text.slice(0, 200)}`);
    }
  }
  console.log(`api fuzz: ${routes.length} routes × ${PER_ROUTE} bodies; statuses ${JSON.stringify(statuses)}`);
  expect(problems.slice(0, 15)).toEqual([]);
  expect((await sys.app.handle(new Request("http://pombo.test/healthz"))).status).toBe(200);
}, 60_000);

// Found by this fuzzer: Elysia lets a number through the accounts' `config` Record schema; the service refuses it.
test("PATCH /accounts/:id with a number as config is refused with a 4xx", async () => {
  const res = await sys.app.handle(new Request(`http://pombo.test/api/v1/accounts/${ids.accounts}`, {
    method: "PATCH", body: '{"config":5}', headers: { "content-type": "application/json", "content-length": "12", cookie },
  }));
  expect(res.status).toBe(422);
});
