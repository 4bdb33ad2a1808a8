import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { endpointSigningSecret } from "../../src/services/webhook-endpoints.ts";
import { listEndpointsFor } from "../../src/storage/webhook-endpoints.ts";
import { api, makeTwoTenants } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: Awaited<ReturnType<typeof makeTwoTenants>>;
let companyA: string;
beforeEach(async () => {
  t = await makeTwoTenants();
  companyA = t.companyA;
});
afterEach(() => t.close());

const SECRET = "whsec-very-secret-value-123";
const create = (body: unknown, cookie = t.a) => api(t.app, cookie, "POST", "/api/v1/webhook-endpoints", body);

test("an endpoint is created without echoing its secret, which is stored sealed and opens for signing", async () => {
  const res = await create({ url: "https://hooks.example.com/pombo", events: ["message.status", "contact.opted_out"], secret: SECRET });
  expect(res.status).toBe(201);
  const text = await res.text();
  expect(text).not.toContain(SECRET);
  const ep = JSON.parse(text);
  expect(ep).toEqual({ id: expect.any(String), url: "https://hooks.example.com/pombo", events: ["message.status", "contact.opted_out"], createdAt: expect.any(String) });
  const raw = t.deps.storage.db("webhookEndpoints").getBinary([companyA, ep.id]);
  expect(new TextDecoder("latin1").decode(raw!)).not.toContain(SECRET);
  const [stored] = listEndpointsFor(t.deps.storage, companyA, "message.status");
  expect(stored!.id).toBe(ep.id);
  expect(endpointSigningSecret(t.deps, stored!)).toBe(SECRET);
  expect(listEndpointsFor(t.deps.storage, companyA, "inbound.received")).toEqual([]);
  expect(await (await api(t.app, t.a, "GET", "/api/v1/webhook-endpoints")).text()).not.toContain(SECRET);
});

test.each([
  ["a non-http URL", { url: "ftp://example.com/x", events: ["message.status"], secret: SECRET }, 422],
  ["garbage for a URL", { url: "not a url", events: ["message.status"], secret: SECRET }, 422],
  ["an unknown event", { url: "https://x.test/", events: ["message.sent"], secret: SECRET }, 422],
  ["no events", { url: "https://x.test/", events: [], secret: SECRET }, 422],
  ["a short secret", { url: "https://x.test/", events: ["message.status"], secret: "short" }, 422],
  ["no secret", { url: "https://x.test/", events: ["message.status"] }, 422],
  ["malformed JSON", "{", 400],
])("POST refuses %s", async (_name, body, status) => {
  expect((await create(body)).status).toBe(status);
});

test("http URLs are allowed; DELETE removes; another company sees nothing and gets 404", async () => {
  const ep = await (await create({ url: "http://10.0.0.5:8080/hook", events: ["inbound.received"], secret: SECRET })).json() as any;
  expect(await (await api(t.app, t.b, "GET", "/api/v1/webhook-endpoints")).json()).toEqual({ items: [] });
  const foreign = await api(t.app, t.b, "DELETE", `/api/v1/webhook-endpoints/${ep.id}`);
  expect(foreign.status).toBe(404);
  expect((await foreign.json() as any).error.code).toBe("webhook_endpoint_not_found");
  expect((await api(t.app, t.a, "DELETE", `/api/v1/webhook-endpoints/${ep.id}`)).status).toBe(200);
  expect(listEndpointsFor(t.deps.storage, companyA, "inbound.received")).toEqual([]);
  expect((await t.app.handle(new Request("http://pombo.test/api/v1/webhook-endpoints"))).status).toBe(401);
});
