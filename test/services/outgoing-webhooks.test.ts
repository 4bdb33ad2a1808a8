import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { AuthContext } from "../../src/deps.ts";
import { createToken } from "../../src/services/auth.ts";
import { emitEventSync, type EventName } from "../../src/services/events.ts";
import { receiveInbound } from "../../src/services/inbound.ts";
import { retryDelay, RETRY_WINDOW_MS } from "../../src/services/outgoing-webhooks.ts";
import { createEndpoint, deleteEndpoint } from "../../src/services/webhook-endpoints.ts";
import { DELIVERY_LOG_CAP, getDelivery, listDeliveries, putDeliverySync } from "../../src/storage/webhook-deliveries.ts";
import { settle } from "../helpers/settle.ts";
import { makeAccount, makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const SECRET = "whsec-receiver-secret-0123456789";

interface Received {
  body: string;
  headers: Record<string, string>;
  signatureOk: boolean;
}

/** A company's own webhook receiver on loopback: checks the signature itself and answers per `plan` (then 200). */
function startReceiver(plan: number[] = []) {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.text();
      const headers = Object.fromEntries(req.headers);
      const expected = Buffer.from("sha256=" + createHmac("sha256", SECRET).update(body).digest("hex"));
      const given = Buffer.from(headers["x-pombo-signature"] ?? "");
      received.push({ body, headers, signatureOk: given.length === expected.length && timingSafeEqual(given, expected) });
      return new Response("", { status: plan[received.length - 1] ?? 200 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hooks`, received, stop: () => server.stop(true) };
}

let sys: TestSystem;
let receiver: ReturnType<typeof startReceiver> | undefined;
afterEach(async () => {
  receiver?.stop();
  receiver = undefined;
  await sys?.destroy();
});

async function setup(plan: number[] = [], events: EventName[] = ["contact.opted_out", "inbound.received", "message.status"]) {
  sys = makeSystem();
  receiver = startReceiver(plan);
  const auth = await makeCompany(sys);
  const endpoint = await createEndpoint(sys.deps, auth.company.id, { url: receiver.url, events, secret: SECRET });
  return { auth, endpoint };
}

function emit(auth: AuthContext, event: EventName, data: Record<string, unknown>) {
  sys.deps.storage.env.transactionSync(() => emitEventSync(sys.deps, auth.company.id, event, data));
}

const outgoing = () => sys.deps.queue.stats().find((q) => q.name === "outgoing")!;

test("a delivery is signed, fails twice with 500, is retried on schedule with the same delivery id, then delivered", async () => {
  const { auth, endpoint } = await setup([500, 500]);
  const t0 = sys.clock.now();
  emit(auth, "contact.opted_out", { phone: "+12025550123", reason: "stop_word" });
  await settle(sys);
  expect(receiver!.received).toHaveLength(1);
  const [first] = listDeliveries(sys.deps.storage, auth.company.id, endpoint.id).items;
  expect(first).toMatchObject({ status: "failed", attempts: 1, lastStatus: 500, lastError: "HTTP 500", createdAt: t0 });

  sys.clock.advance(9_999); // not due yet
  await settle(sys);
  expect(receiver!.received).toHaveLength(1);
  sys.clock.advance(1);
  await settle(sys);
  expect(receiver!.received).toHaveLength(2);

  sys.clock.advance(retryDelay(2) - 1);
  await settle(sys);
  expect(receiver!.received).toHaveLength(2);
  sys.clock.advance(1);
  await settle(sys);
  expect(receiver!.received).toHaveLength(3);

  const ids = new Set(receiver!.received.map((r) => r.headers["x-pombo-delivery"]));
  expect(ids.size).toBe(1);
  for (const r of receiver!.received) {
    expect(r.signatureOk).toBe(true);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["x-pombo-event"]).toBe("contact.opted_out");
    expect(r.body).toBe(receiver!.received[0]!.body);
  }
  const body = JSON.parse(receiver!.received[0]!.body);
  expect(body).toEqual({
    id: [...ids][0], event: "contact.opted_out", createdAt: new Date(t0).toISOString(), data: { phone: "+12025550123", reason: "stop_word" },
  });
  const log = listDeliveries(sys.deps.storage, auth.company.id, endpoint.id).items;
  expect(log).toHaveLength(1);
  expect(log[0]).toMatchObject({ id: body.id, status: "delivered", attempts: 3, lastStatus: 200, createdAt: t0, lastAttemptAt: t0 + 10_000 + retryDelay(2) });
  expect(log[0]!.lastError).toBeUndefined();
  expect(outgoing()).toMatchObject({ depth: 0, delayed: 0, failed: 0 });
});

test("a STOP reply reaches the endpoint as inbound.received and contact.opted_out, each signed", async () => {
  const { auth } = await setup([], ["inbound.received", "contact.opted_out"]);
  const account = await makeAccount(sys, auth);
  await receiveInbound(sys.deps, account, [
    { type: "inbound", providerId: "in-1", from: "+12025550999", to: "+12025550100", body: " stop " },
  ]);
  await settle(sys);
  const events = receiver!.received.map((r) => r.headers["x-pombo-event"]).sort();
  expect(events).toEqual(["contact.opted_out", "inbound.received"]);
  expect(receiver!.received.every((r) => r.signatureOk)).toBe(true);
  const optOut = receiver!.received.find((r) => r.headers["x-pombo-event"] === "contact.opted_out")!;
  expect(JSON.parse(optOut.body).data).toMatchObject({ phone: "+12025550999", reason: "stop_word" });
});

test("a receiver that never accepts is retried for 24 hours, then the delivery is dead-lettered", async () => {
  const { auth, endpoint } = await setup(Array(100).fill(503));
  const t0 = sys.clock.now();
  emit(auth, "message.status", { id: "m1", status: "delivered" });
  await settle(sys);
  let attempts = 1;
  while (outgoing().failed === 0 && attempts < 60) {
    const next = sys.deps.queue.nextDueAt()!;
    expect(next - sys.clock.now()).toBeLessThanOrEqual(3_600_000);
    sys.clock.set(next);
    await settle(sys);
    attempts++;
  }
  expect(outgoing().failed).toBe(1);
  expect(receiver!.received).toHaveLength(attempts);
  expect(sys.clock.now() - t0).toBe(RETRY_WINDOW_MS);
  const dead = sys.deps.queue.listDead("outgoing").items;
  expect(dead).toHaveLength(1);
  expect(dead[0]!.lastError).toContain("HTTP 503");
  const [entry] = listDeliveries(sys.deps.storage, auth.company.id, endpoint.id).items;
  expect(entry).toMatchObject({ status: "dead", attempts, lastStatus: 503 });
});

test("a dead delivery retried by hand gets a fresh window and is delivered", async () => {
  const { auth, endpoint } = await setup(Array(30).fill(500));
  emit(auth, "message.status", { id: "m1", status: "failed" });
  await settle(sys);
  while (outgoing().failed === 0) {
    sys.clock.set(sys.deps.queue.nextDueAt()!);
    await settle(sys);
  }
  const [dead] = sys.deps.queue.listDead("outgoing").items;
  expect(await sys.deps.queue.retryDead(dead!.id)).toBe(true);
  await settle(sys);
  expect(receiver!.received.at(-1)!.headers["x-pombo-delivery"]).toBe(dead!.id);
  expect(getDelivery(sys.deps.storage, auth.company.id, endpoint.id, Number(dead!.id))).toMatchObject({ status: "delivered", attempts: 31 });
});

test("a delivery whose endpoint was deleted does nothing", async () => {
  const { auth, endpoint } = await setup([]);
  emit(auth, "message.status", { id: "m1", status: "sent" });
  await deleteEndpoint(sys.deps, auth.company.id, endpoint.id);
  await settle(sys);
  expect(receiver!.received).toHaveLength(0);
  expect(outgoing()).toMatchObject({ depth: 0, delayed: 0, failed: 0, completed: 1 });
});

test("an unreachable endpoint is a failed attempt with the network error, retried later", async () => {
  const { auth } = await setup();
  const dead = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${dead.port}/gone`;
  dead.stop(true);
  const ep = await createEndpoint(sys.deps, auth.company.id, { url, events: ["message.status"], secret: SECRET });
  emit(auth, "message.status", { id: "m1", status: "sent" });
  await settle(sys);
  const [entry] = listDeliveries(sys.deps.storage, auth.company.id, ep.id).items;
  expect(entry).toMatchObject({ status: "failed", attempts: 1 });
  expect(entry!.lastError).toStartWith("network error");
  expect(entry!.lastStatus).toBeUndefined();
  expect(outgoing().delayed).toBeGreaterThanOrEqual(1);
});

test("the delivery log keeps the newest entries per endpoint and pages newest first", async () => {
  const { auth, endpoint } = await setup();
  const s = sys.deps.storage;
  const entry = (seq: number) => ({ v: 1 as const, id: String(seq), event: "message.status", status: "delivered" as const, attempts: 1, createdAt: seq, windowStart: seq });
  await s.env.transaction(() => {
    for (let seq = 1; seq <= DELIVERY_LOG_CAP + 5; seq++) putDeliverySync(s, auth.company.id, endpoint.id, seq, entry(seq));
  });
  expect(getDelivery(s, auth.company.id, endpoint.id, 5)).toBeUndefined();
  expect(getDelivery(s, auth.company.id, endpoint.id, 7)).toBeDefined();
  const p1 = listDeliveries(s, auth.company.id, endpoint.id, { limit: 3 });
  expect(p1.items.map((d) => d.id)).toEqual(["1005", "1004", "1003"]);
  const p2 = listDeliveries(s, auth.company.id, endpoint.id, { limit: 3, cursor: p1.next });
  expect(p2.items.map((d) => d.id)).toEqual(["1002", "1001", "1000"]);
  let total = 0;
  for (let cursor: string | undefined, page; (page = listDeliveries(s, auth.company.id, endpoint.id, { limit: 400, cursor })); cursor = page.next) {
    total += page.items.length;
    if (!page.next) break;
  }
  expect(total).toBeLessThanOrEqual(DELIVERY_LOG_CAP + 1);
});

test("GET /webhook-endpoints/:id/deliveries shows the company's log and 404s for another company", async () => {
  const { auth, endpoint } = await setup([500]);
  emit(auth, "message.status", { id: "m1", status: "sent" });
  await settle(sys);
  const other = await makeCompany(sys, "Other");
  const call = async (who: AuthContext, path: string) => {
    const { token } = await createToken(sys.deps, who, "t");
    return sys.app.handle(new Request(`http://pombo.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
  };
  const res = await call(auth, `/api/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=10`);
  expect(res.status).toBe(200);
  const page = (await res.json()) as any;
  expect(page.items).toEqual([{
    id: expect.any(String), event: "message.status", status: "failed", attempts: 1, lastStatus: 500, lastError: "HTTP 500",
    createdAt: new Date(sys.clock.now()).toISOString(), lastAttemptAt: new Date(sys.clock.now()).toISOString(),
  }]);
  expect((await call(other, `/api/v1/webhook-endpoints/${endpoint.id}/deliveries`)).status).toBe(404);
});
