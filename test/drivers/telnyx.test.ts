import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { TelnyxWebhook } from "telnyx/lib/webhooks.js";
import { DriverError, type DriverAccount } from "../../src/drivers/driver.ts";
import { createTelnyxDriver } from "../../src/drivers/telnyx.ts";
import { createTestHost, type TestHost } from "../helpers/driver-host.ts";
import { startFakeTelnyx, type FakeTelnyx } from "../helpers/fake-telnyx.ts";
import { driverError, expectLookupFaultsTransient, runDriverConformance, sampleSms, type StatusRow } from "./conformance.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const WEBHOOK = "https://pombo.example.com/webhooks/telnyx/acc_t";
const otherPublicKey = () => (generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("base64");

function accountFor(fake: FakeTelnyx, over: Record<string, unknown> = {}): DriverAccount {
  return { id: "acc_t", webhookUrl: WEBHOOK, config: { apiKey: fake.apiKey, publicKey: fake.publicKey, messagingProfileId: "prof-1", baseUrl: fake.url, ...over } };
}

/** A message.finalized event for any provider id, signed by the fake's key. */
function finalized(fake: FakeTelnyx, providerId: string, status: string, errorCode?: string, timestamp = Date.now()) {
  const body = JSON.stringify({
    data: {
      event_type: "message.finalized", id: "4ee8c3a6-4995-4309-a3c6-38e3db9ea4be", occurred_at: new Date(timestamp).toISOString(), record_type: "event",
      payload: {
        id: providerId, direction: "outbound", type: "SMS", record_type: "message", parts: 1, text: "Hello",
        from: { phone_number: "+15557654321" }, to: [{ phone_number: "+15551230000", status }],
        errors: errorCode ? [{ code: errorCode, title: "Delivery failed", detail: "" }] : [],
      },
    },
    meta: { attempt: 1, delivered_to: WEBHOOK },
  });
  return { url: WEBHOOK, method: "POST", headers: { "content-type": "application/json", ...fake.signHeaders(body, Math.floor(timestamp / 1000)) }, body };
}

const STATUS_TABLE: StatusRow[] = [
  { provider: "queued", expect: { status: "queued" } },
  { provider: "sending", expect: { status: "queued" } },
  { provider: "sent", expect: { status: "sent" } },
  { provider: "delivery_unconfirmed", expect: { status: "sent" } },
  { provider: "delivered", expect: { status: "delivered" } },
  { provider: "delivery_failed", errorCode: "40008", expect: { status: "undelivered", errorCode: "40008" } },
  { provider: "expired", errorCode: "40005", expect: { status: "undelivered", errorCode: "40005" } },
  { provider: "sending_failed", errorCode: "40001", expect: { status: "failed", errorCode: "40001" } },
  { provider: "delivery_failed", errorCode: "40300", expect: { status: "undelivered", errorCode: "40300", optOut: true } },
];

let cf: FakeTelnyx;
runDriverConformance({
  name: "telnyx",
  signed: true,
  network: true,
  statusTable: STATUS_TABLE,
  async setup() {
    const t = createTestHost();
    t.clock.set(Date.now()); // the conformance suite signs with the wall clock
    cf = startFakeTelnyx();
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const refusedUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    return {
      driver: createTelnyxDriver(t.host), account: accountFor(cf), logs: t.logs,
      secrets: [cf.apiKey, "KEY-wrong-0123456789"],
      statusWebhook: (providerId, row) => finalized(cf, providerId, row.provider, row.errorCode),
      inboundWebhook: (sms) => cf.inbound(WEBHOOK, sms),
      network: {
        requests: () => cf.requests,
        decodeBody: (req) => JSON.parse(req.body),
        expectedRequest: (sms) => ({
          method: "POST", path: "/v2/messages",
          headers: { authorization: `Bearer ${cf.apiKey}`, "content-type": "application/json" },
          body: { from: sms.from, to: sms.to, text: sms.body, webhook_url: WEBHOOK, use_profile_webhooks: false, messaging_profile_id: "prof-1" },
        }),
        fault: (f) => cf.fault(f),
        badCredentials: accountFor(cf, { apiKey: "KEY-wrong-0123456789", publicKey: otherPublicKey() }),
        refused: accountFor(cf, { baseUrl: refusedUrl }),
        refusedSms: { sms: sampleSms({ to: "+1555" }), kind: "rejected" },
      },
      teardown: () => cf.stop(),
    };
  },
});

describe("telnyx driver specifics", () => {
  let t: TestHost;
  let fake: FakeTelnyx;
  let account: DriverAccount;
  const driver = () => createTelnyxDriver(t.host);
  beforeAll(() => {
    t = createTestHost();
    fake = startFakeTelnyx({ now: () => t.clock.now() });
    account = accountFor(fake);
  });
  afterAll(() => fake.stop());

  test("a recipient who replied STOP is opted out at send time", async () => {
    fake.optOut("+15559990000");
    const err = await driver().send(account, sampleSms({ to: "+15559990000" }), AbortSignal.timeout(5000)).catch((e) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect([err.kind, err.code]).toEqual(["opted_out", "40300"]);
  });

  test("omits messaging_profile_id when none is configured", async () => {
    const { messagingProfileId: _, ...config } = account.config;
    await driver().send({ ...account, config }, sampleSms(), AbortSignal.timeout(5000));
    expect("messaging_profile_id" in JSON.parse(fake.requests.at(-1)!.body)).toBe(false);
  });

  test("a round trip: send, then the fake's signed finalized event maps back to the same id", async () => {
    const d = driver();
    const { providerId } = await d.send(account, sampleSms(), AbortSignal.timeout(5000));
    const sent = fake.statusEvent(providerId, "sent", { eventType: "message.sent" });
    const done = fake.statusEvent(providerId, "delivered");
    expect(d.verifyWebhook(account, sent)).toEqual({ ok: true });
    expect(d.parseWebhook(account, sent)).toMatchObject([{ type: "status", providerId, status: "sent", at: t.clock.now() }]);
    expect(d.verifyWebhook(account, done)).toEqual({ ok: true });
    expect(d.parseWebhook(account, done)).toMatchObject([{ type: "status", providerId, status: "delivered" }]);
  });

  test("rejects a stale or future timestamp (replay), using the host clock", () => {
    const req = fake.inbound(WEBHOOK, { from: "+15551230000", to: "+15557654321", body: "hi" });
    expect(driver().verifyWebhook(account, req)).toEqual({ ok: true });
    t.clock.advance(300_000 + 1_000);
    expect(driver().verifyWebhook(account, req)).toEqual({ ok: false, reason: "stale timestamp (possible replay)" });
    const future = fake.inbound(WEBHOOK, { from: "+15551230000", to: "+15557654321", body: "hi" }, { timestamp: t.clock.now() + 600_000 });
    expect(driver().verifyWebhook(account, future).ok).toBe(false);
  });

  test("rejects a re-signed timestamp header and an event signed for another account's URL", () => {
    const req = fake.inbound(WEBHOOK, { from: "+15551230000", to: "+15557654321", body: "hi" });
    const bumped = { ...req, headers: { ...req.headers, "telnyx-timestamp": String(Number(req.headers["telnyx-timestamp"]) + 1) } };
    expect(driver().verifyWebhook(account, bumped).ok).toBe(false);
    const forOther = fake.inbound("https://pombo.example.com/webhooks/telnyx/acc_other", { from: "+1555", to: "+1556", body: "x" });
    expect(driver().verifyWebhook(account, { ...forOther, url: WEBHOOK })).toEqual({ ok: false, reason: "event was signed for another webhook URL" });
  });

  test("validateConfig refuses a public key that is not 32 bytes of base64", () => {
    expect(driver().validateConfig({ ...account.config, publicKey: "bm90IGEga2V5" })).toContain("publicKey");
  });

  test("signatures agree with the official telnyx library (TelnyxWebhook.verify)", async () => {
    t.clock.set(Date.now()); // the library checks the timestamp against the wall clock
    const req = fake.inbound(WEBHOOK, { from: "+15551230000", to: "+15557654321", body: "Olá & co" });
    await new TelnyxWebhook(fake.publicKey).verify(req.body, req.headers);
    expect(driver().verifyWebhook(account, req)).toEqual({ ok: true });
    const tampered = req.body.replace("Olá", "Ola");
    await expect(new TelnyxWebhook(fake.publicKey).verify(tampered, req.headers)).rejects.toThrow();
    expect(driver().verifyWebhook(account, { ...req, body: tampered }).ok).toBe(false);
  });
});

describe("telnyx lookup (Detail Record Search)", () => {
  const to = "+15550001111";
  let t: TestHost;
  let fake: FakeTelnyx;
  let account: DriverAccount;
  const lookup = (q: { to: string; since?: number }, signal = AbortSignal.timeout(5000)) => createTelnyxDriver(t.host).lookup!(account, q, signal);
  const send = (over: Parameters<typeof sampleSms>[0] = {}) => createTelnyxDriver(t.host).send(account, sampleSms({ to, ...over }), AbortSignal.timeout(5000));
  const searches = () => fake.requests.filter((r) => r.path === "/v2/detail_records");
  beforeEach(() => {
    t = createTestHost();
    fake = startFakeTelnyx({ now: () => t.clock.now() });
    account = accountFor(fake);
  });
  afterEach(() => fake.stop());

  test("finds the messages Telnyx took for a number, including one whose answer was lost, with their MDR status", async () => {
    const since = t.clock.now();
    fake.fault({ kind: "garbage", accept: true });
    expect((await send({ body: "lost answer" }).catch((e) => e)).kind).toBe("unknown_outcome");
    t.clock.advance(1_000);
    const { providerId } = await send({ body: "second" });
    fake.finalizeMdr(providerId, "gw_reject", ["40002"]);
    await send({ to: "+15550002222" });
    const lost = fake.messages.find((m) => m.text === "lost answer")!;
    expect(await lookup({ to, since })).toEqual([
      { type: "status", providerId, status: "failed", to, errorCode: "40002", at: since + 1_000 },
      { type: "status", providerId: lost.id, status: "sent", to, at: since },
    ]);
    const [req] = searches();
    expect(req!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(Object.fromEntries(req!.query)).toEqual({
      "filter[record_type]": "messaging", "filter[direction]": "outbound", "filter[cld]": to, sort: "-created_at",
      "page[size]": "50", "page[number]": "1", "filter[created_at][gte]": "2026-01-04", // the day before since minus slack
    });
  });

  test.each([
    ["delivered", [], { status: "delivered" }],
    ["dlr_timeout", [], { status: "sent" }],
    ["failed", ["40300"], { status: "failed", errorCode: "40300", optOut: true }],
  ] as const)("an MDR status %s maps to ours", async (mdrStatus, errs, expected) => {
    const { providerId } = await send();
    fake.finalizeMdr(providerId, mdrStatus, [...errs]);
    expect(await lookup({ to, since: t.clock.now() })).toEqual([{ type: "status", providerId, to, at: t.clock.now(), ...expected }]);
  });

  test("finds nothing for a number never sent to, nor a message to it from before `since` (minus slack) the same day", async () => {
    await send();
    t.clock.advance(3600_000);
    expect(await lookup({ to: "+15550009999", since: t.clock.now() })).toEqual([]);
    expect(await lookup({ to, since: t.clock.now() - 60_000 })).toEqual([]);
    expect(await lookup({ to, since: t.clock.now() - 3600_000 })).toHaveLength(1);
  });

  test("reads further pages while they are newer than `since`, and stops at the first older record", async () => {
    for (let i = 0; i < 3; i++) await send({ body: `old ${i}` });
    t.clock.advance(3600_000);
    const since = t.clock.now();
    for (let i = 0; i < 60; i++) {
      await send({ body: `new ${i}` });
      t.clock.advance(10_000);
    }
    const found = await lookup({ to, since });
    expect(found).toHaveLength(60);
    expect(searches().map((r) => r.query.get("page[number]"))).toEqual(["1", "2"]);
    const before = searches().length;
    // since minus slack falls after the 15th new message: the first page (50 newest) already reaches past it
    expect(await lookup({ to, since: since + 450_000 })).toHaveLength(45);
    expect(searches().length - before).toBe(1);
  });

  test("more pages than it reads is an error, not a partial answer", async () => {
    for (let i = 0; i < 251; i++) fake.messages.push({ id: `m-${i}`, from: "+15557654321", to, text: "x", created: t.clock.now() });
    expect((await driverError(lookup({ to, since: t.clock.now() }))).kind).toBe("transient");
    expect(searches()).toHaveLength(5);
  });

  test("provider errors are classified, never unknown_outcome, and show no secret", async () => {
    const refused = await driverError(createTelnyxDriver(t.host).lookup!(accountFor(fake, { apiKey: "KEY-wrong-0123456789" }), { to }, AbortSignal.timeout(5000)));
    expect(refused.kind).toBe("config");
    const messages = await expectLookupFaultsTransient((f) => fake.fault(f, 1, "lookup"), (signal) => lookup({ to }, signal));
    for (const text of [refused.message, ...messages, ...t.logs]) expect(text).not.toContain(fake.apiKey);
  });
});
