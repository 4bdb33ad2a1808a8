import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SMS } from "@vonage/sms";
import { DriverError, type DriverAccount, type SmsDriver } from "../../src/drivers/driver.ts";
import { createVonageDriver, readParams } from "../../src/drivers/vonage.ts";
import { createTestHost, type TestHost } from "../helpers/driver-host.ts";
import { startFakeVonage, type FakeVonage, type VonageSigAlgorithm } from "../helpers/fake-vonage.ts";
import { expectLookupFaultsTransient } from "./conformance.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const never = () => new AbortController().signal;
const sms = (over: Partial<{ to: string; from: string; body: string }> = {}) => ({ messageId: "msg_1", from: "+15550002222", to: "+447700900000", body: "Hello from Pombo", ...over });
async function sendError(p: Promise<unknown>): Promise<DriverError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DriverError) return e;
    throw e;
  }
  throw new Error("expected a DriverError");
}

let t: TestHost;
let fake: FakeVonage;
let driver: SmsDriver;
let account: DriverAccount;

function setup(algorithm: VonageSigAlgorithm = "sha256") {
  t = createTestHost();
  fake = startFakeVonage({ algorithm, now: () => t.clock.now() });
  driver = createVonageDriver(t.host);
  account = {
    id: "acc_v", webhookUrl: "https://pombo.example/webhooks/vonage/acc_v",
    config: { apiKey: fake.apiKey, apiSecret: fake.apiSecret, signatureSecret: fake.signatureSecret, baseUrl: fake.url },
  };
}
beforeEach(() => setup());
afterEach(() => fake.stop());

/** Every error message and log line, checked for secrets. */
function expectNoSecrets(...texts: string[]) {
  for (const text of [...texts, ...t.logs]) {
    expect(text).not.toContain(fake.apiSecret);
    expect(text).not.toContain(fake.signatureSecret);
  }
}

describe("vonage send", () => {
  test("posts the exact SMS API form and returns the message-id", async () => {
    const res = await driver.send(account, sms(), never());
    const [req] = fake.requests;
    expect(req!.method).toBe("POST");
    expect(req!.path).toBe("/sms/json");
    expect(req!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(req!.body))).toEqual({
      api_key: fake.apiKey, api_secret: fake.apiSecret, from: "15550002222", to: "447700900000", text: "Hello from Pombo",
      type: "text", callback: account.webhookUrl, "status-report-req": "1", "client-ref": "msg_1",
    });
    expect(res.providerId).toBe(fake.messages[0]!.messageId);
  });

  test("non-GSM text is sent as type=unicode", async () => {
    await driver.send(account, sms({ body: "Olá 👋" }), never());
    expect(new URLSearchParams(fake.requests[0]!.body).get("type")).toBe("unicode");
  });

  test("a long text split by Vonage answers with the first part's id", async () => {
    const res = await driver.send(account, sms({ body: "x".repeat(300) }), never());
    expect(fake.messages).toHaveLength(2);
    expect(res.providerId).toBe(fake.messages[0]!.messageId);
  });

  test.each([
    ["1", "throttled"], ["10", "throttled"], ["5", "transient"], ["7", "opted_out"],
    ["4", "config"], ["8", "config"], ["9", "config"], ["15", "config"],
    ["2", "rejected"], ["3", "rejected"], ["6", "rejected"], ["12", "rejected"], ["29", "rejected"], ["99", "rejected"],
  ])("response status %s → %s", async (status, kind) => {
    fake.failNext(status, "Something went wrong");
    const err = await sendError(driver.send(account, sms(), never()));
    expect([err.kind, err.code]).toEqual([kind as DriverError["kind"], status]);
  });

  test("an invalid destination is rejected", async () => {
    expect((await sendError(driver.send(account, sms({ to: "+1555" }), never()))).kind).toBe("rejected");
  });

  test("a barred number is opted out", async () => {
    fake.bar("447700900000");
    expect((await sendError(driver.send(account, sms(), never()))).kind).toBe("opted_out");
  });

  test("bad credentials are a config error that never shows a secret", async () => {
    account.config = { ...account.config, apiSecret: "wrong-secret-value" };
    const err = await sendError(driver.send(account, sms(), never()));
    expect(err.kind).toBe("config");
    expect(err.message).not.toContain("wrong-secret-value");
    expectNoSecrets(err.message);
  });

  test("HTTP faults are classified, with no secret in any message", async () => {
    const kinds: string[] = [];
    const messages: string[] = [];
    fake.fault({ kind: "status", status: 429, headers: { "retry-after": "7" } });
    let err = await sendError(driver.send(account, sms(), never()));
    expect(err.retryAfterMs).toBe(7000);
    kinds.push(err.kind), messages.push(err.message);
    fake.fault({ kind: "status", status: 500 });
    err = await sendError(driver.send(account, sms(), never()));
    kinds.push(err.kind), messages.push(err.message);
    fake.fault({ kind: "garbage", accept: true });
    err = await sendError(driver.send(account, sms(), never()));
    kinds.push(err.kind), messages.push(err.message);
    fake.fault({ kind: "status", status: 401 });
    err = await sendError(driver.send(account, sms(), never()));
    kinds.push(err.kind), messages.push(err.message);
    expect(kinds).toEqual(["throttled", "transient", "unknown_outcome", "config"]);
    expectNoSecrets(...messages);
  });

  test("a request that hangs after it was written is an unknown outcome", async () => {
    fake.fault({ kind: "hang", accept: true });
    const ac = new AbortController();
    const p = driver.send(account, sms(), ac.signal);
    while (fake.requests.length === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    expect((await sendError(p)).kind).toBe("unknown_outcome");
  });

  test("a refused connection is transient", async () => {
    await fake.stop();
    expect((await sendError(driver.send(account, sms(), never()))).kind).toBe("transient");
  });
});

describe("vonage webhooks", () => {
  test.each([
    ["delivered", "delivered"], ["accepted", "sent"], ["buffered", "sent"], ["unknown", "sent"],
    ["expired", "undelivered"], ["failed", "failed"], ["rejected", "failed"],
  ])("receipt status %s → %s", async (status, ours) => {
    const { providerId } = await driver.send(account, sms(), never());
    const req = fake.receipt(providerId, status, { errCode: status === "delivered" ? "0" : "6" });
    expect(driver.verifyWebhook(account, req)).toEqual({ ok: true });
    expect(driver.parseWebhook(account, req)).toEqual([{
      type: "status", providerId, status: ours as "sent", at: t.clock.now() - (t.clock.now() % 1000),
      ...(status === "delivered" ? {} : { errorCode: "6" }),
    }]);
  });

  test.each(["GET", "POST-FORM", "POST-JSON"] as const)("inbound SMS by %s is verified and parsed", (style) => {
    const req = fake.inbound(account.webhookUrl, { msisdn: "447700900001", to: "447700900000", text: "STOP & go = now" }, { style });
    expect(driver.verifyWebhook(account, req)).toEqual({ ok: true });
    const [event] = driver.parseWebhook(account, req);
    expect(event).toMatchObject({ type: "inbound", from: "+447700900001", to: "+447700900000", body: "STOP & go = now" });
  });

  test.each(["md5hash", "md5", "sha1", "sha256", "sha512"] as const)("accepts a %s signature", (algorithm) => {
    fake.stop();
    setup(algorithm);
    const req = fake.inbound(account.webhookUrl, { msisdn: "447700900001", to: "447700900000", text: "hi" });
    expect(driver.verifyWebhook(account, req)).toEqual({ ok: true });
  });

  test("rejects a tampered, unsigned, stale or future webhook", () => {
    const req = fake.inbound(account.webhookUrl, { msisdn: "447700900001", to: "447700900000", text: "hi" });
    const tampered = { ...req, body: req.body.replace('"text":"hi"', '"text":"STOP"') };
    expect(driver.verifyWebhook(account, tampered).ok).toBe(false);
    const body = JSON.parse(req.body);
    delete body.sig;
    expect(driver.verifyWebhook(account, { ...req, body: JSON.stringify(body) })).toEqual({ ok: false, reason: "missing sig parameter" });
    t.clock.advance(5 * 60_000 + 1_000);
    expect(driver.verifyWebhook(account, req)).toEqual({ ok: false, reason: "stale timestamp (possible replay)" });
    const future = fake.inbound(account.webhookUrl, { msisdn: "447700900001", to: "447700900000", text: "hi" }, { timestamp: t.clock.now() + 10 * 60_000 });
    expect(driver.verifyWebhook(account, future).ok).toBe(false);
    expect(driver.verifyWebhook({ ...account, config: { ...account.config, signatureSecret: "other" } }, future).ok).toBe(false);
  });

  test("signatures agree with Vonage's own SDK (@vonage/sms verifySignature)", () => {
    // @vonage/auth's AlgorithmTypes enum values, without depending on that transitive package directly.
    type Algorithm = Parameters<SMS["verifySignature"]>[3];
    const vonage = new SMS({ apiKey: fake.apiKey, apiSecret: fake.apiSecret });
    for (const [alg, sdk] of [["sha256", "SHA256HMAC"], ["md5hash", "MD5HASH"], ["sha512", "SHA512HMAC"]] as const) {
      fake.stop();
      setup(alg);
      const req = fake.inbound(account.webhookUrl, { msisdn: "447700900001", to: "447700900000", text: "a&b=c" }, { style: "POST-FORM" });
      const params = readParams(req);
      expect(vonage.verifySignature(params.sig!, params, fake.signatureSecret, sdk as Algorithm)).toBe(true);
      expect(driver.verifyWebhook(account, req)).toEqual({ ok: true });
    }
  });

  test("rejects an event replayed onto another account's URL or signed for another API key", () => {
    const req = fake.inbound(account.webhookUrl, { msisdn: "447700900001", to: "447700900000", text: "hi" });
    expect(driver.verifyWebhook(account, { ...req, url: "https://pombo.example/webhooks/vonage/acc_other" }).ok).toBe(false);
    expect(driver.verifyWebhook({ ...account, config: { ...account.config, apiKey: "zzzz9999" } }, req)).toEqual({ ok: false, reason: "webhook is for another API key" });
  });

  test("a malformed body is refused by verify and throws in parse", () => {
    const req = { url: account.webhookUrl, method: "POST", headers: { "content-type": "application/json" }, body: "{not json" };
    expect(driver.verifyWebhook(account, req).ok).toBe(false);
    expect(() => driver.parseWebhook(account, req)).toThrow();
  });
});

describe("vonage lookup (Reports API records search)", () => {
  const to = "+447700900000";
  const lookup = (q: { to: string; since?: number }, signal = AbortSignal.timeout(5000)) => driver.lookup!(account, q, signal);
  const searches = () => fake.requests.filter((r) => r.path === "/v2/reports/records");

  test("finds the messages Vonage took for a number, including one whose answer was lost, with their receipts' status", async () => {
    const since = t.clock.now();
    fake.fault({ kind: "garbage", accept: true });
    expect((await sendError(driver.send(account, { ...sms({ body: "lost answer" }), messageId: "msg_lost" }, never()))).kind).toBe("unknown_outcome");
    t.clock.advance(1_000);
    const { providerId } = await driver.send(account, { ...sms({ body: "second" }), messageId: "msg_2" }, never());
    fake.receipt(providerId, "failed", { errCode: "6" });
    await driver.send(account, sms({ to: "+447700900999" }), never());
    const found = await lookup({ to, since });
    const lost = fake.messages.find((m) => m.text === "lost answer")!;
    expect(found).toEqual([
      { type: "status", providerId: lost.messageId, status: "sent", to, at: since },
      { type: "status", providerId, status: "failed", to, errorCode: "6", errorMessage: "Delivery failed", at: since + 1_000 },
    ]);
    const [req] = searches();
    expect(req!.headers.authorization).toBe("Basic " + Buffer.from(`${fake.apiKey}:${fake.apiSecret}`).toString("base64"));
    expect(Object.fromEntries(req!.query)).toEqual({
      account_id: fake.apiKey, product: "SMS", direction: "outbound", to: "447700900000",
      date_start: new Date(since - 5 * 60_000).toISOString(), date_end: new Date(t.clock.now() + 5 * 60_000).toISOString(),
    });
  });

  test("a long message Vonage split into parts is one entry, the first part's id", async () => {
    const since = t.clock.now();
    const { providerId } = await driver.send(account, sms({ body: "x".repeat(300) }), never());
    expect(fake.messages).toHaveLength(2);
    expect((await lookup({ to, since })).map((f) => f.providerId)).toEqual([providerId]);
  });

  test("finds nothing for a number that was never sent to, or only before `since` (minus slack)", async () => {
    await driver.send(account, sms(), never());
    t.clock.advance(3600_000);
    expect(await lookup({ to: "+447700900123", since: t.clock.now() - 60_000 })).toEqual([]);
    expect(await lookup({ to, since: t.clock.now() - 60_000 })).toEqual([]);
    expect(await lookup({ to, since: t.clock.now() - 3600_000 })).toHaveLength(1);
  });

  test("a send older than a day is searched in windows of at most 24 hours", async () => {
    const since = t.clock.now();
    await driver.send(account, sms(), never());
    t.clock.advance(30 * 3600_000);
    expect(await lookup({ to, since })).toHaveLength(1);
    const windows = searches().map((r) => [Date.parse(r.query.get("date_start")!), Date.parse(r.query.get("date_end")!)] as const);
    expect(windows).toHaveLength(2);
    expect(windows[0]![0]).toBe(since - 5 * 60_000);
    expect(windows[1]![0]).toBe(windows[0]![1]);
    expect(windows[1]![1]).toBe(t.clock.now() + 5 * 60_000);
    for (const [s, e] of windows) expect(e - s).toBeLessThanOrEqual(24 * 3600_000);
  });

  test("follows TRUNCATED pages with the cursor and iv Vonage gave, and fails past 5 pages rather than answer in part", async () => {
    await fake.stop();
    fake = startFakeVonage({ now: () => t.clock.now(), recordsPageSize: 2 });
    account.config = { ...account.config, apiSecret: fake.apiSecret, signatureSecret: fake.signatureSecret, baseUrl: fake.url };
    const since = t.clock.now();
    for (let i = 0; i < 5; i++) await driver.send(account, { ...sms(), messageId: `msg_${i}` }, never());
    const found = await lookup({ to, since });
    expect(found.map((f) => f.providerId).sort()).toEqual(fake.messages.map((m) => m.messageId).sort());
    expect(searches().map((r) => [r.query.has("cursor"), r.query.has("iv")])).toEqual([[false, false], [true, true], [true, true]]);
    for (let i = 5; i < 11; i++) await driver.send(account, { ...sms(), messageId: `msg_${i}` }, never());
    const err = await sendError(lookup({ to, since })); // 11 records, 2 a page: more than the 5 pages it reads
    expect(err.kind).toBe("transient");
  });

  test("provider errors are classified, never unknown_outcome, and show no secret", async () => {
    const refused = await sendError(driver.lookup!({ ...account, config: { ...account.config, apiSecret: "wrong-secret-value" } }, { to }, never()));
    expect([refused.kind, refused.message]).toEqual(["config", expect.stringContaining("Unauthorized")]);
    const messages = await expectLookupFaultsTransient((f) => fake.fault(f, 1, "lookup"), (signal) => lookup({ to }, signal));
    expectNoSecrets(refused.message, ...messages);
  });

  test("refuses, without asking, to settle from part of a range longer than a week", async () => {
    const err = await sendError(lookup({ to, since: t.clock.now() - 8 * 24 * 3600_000 }));
    expect(err.kind).toBe("rejected");
    expect(searches()).toHaveLength(0);
  });
});
