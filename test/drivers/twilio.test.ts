import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import twilio from "twilio";
import { createTwilioDriver } from "../../src/drivers/twilio.ts";
import { computeTwilioSignature } from "../../src/drivers/twilio-signature.ts";
import { parseForm } from "../../src/drivers/fields.ts";
import { DriverError, type DriverAccount } from "../../src/drivers/driver.ts";
import { startFakeTwilio, type FakeTwilio } from "../helpers/fake-twilio.ts";
import { createTestHost } from "../helpers/driver-host.ts";
import { runDriverConformance, sampleSms, type StatusRow } from "./conformance.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const WEBHOOK = "https://pombo.example.com/webhooks/twilio/acc_1";

function accountFor(fake: FakeTwilio, over: Record<string, unknown> = {}): DriverAccount {
  return { id: "acc_1", webhookUrl: WEBHOOK, config: { accountSid: fake.accountSid, authToken: fake.authToken, baseUrl: fake.url, ...over } };
}

const STATUS_TABLE: StatusRow[] = [
  { provider: "accepted", expect: { status: "queued" } },
  { provider: "queued", expect: { status: "queued" } },
  { provider: "sending", expect: { status: "queued" } },
  { provider: "sent", expect: { status: "sent" } },
  { provider: "delivered", expect: { status: "delivered" } },
  { provider: "read", expect: { status: "delivered" } },
  { provider: "undelivered", errorCode: "30003", expect: { status: "undelivered", errorCode: "30003" } },
  { provider: "failed", errorCode: "30008", expect: { status: "failed", errorCode: "30008" } },
  { provider: "failed", errorCode: "21610", expect: { status: "failed", errorCode: "21610", optOut: true } },
  { provider: "canceled", expect: { status: "failed" } },
];

let fake: FakeTwilio;
runDriverConformance({
  name: "twilio",
  signed: true,
  network: true,
  statusTable: STATUS_TABLE,
  async setup() {
    fake = startFakeTwilio();
    const t = createTestHost();
    const account = accountFor(fake);
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const refusedUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    return {
      driver: createTwilioDriver(t.host), account, logs: t.logs,
      secrets: [fake.authToken, "wrong-token-0123456789", Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString("base64")],
      statusWebhook(providerId, row) {
        const params: Record<string, string> = { SmsSid: providerId, SmsStatus: row.provider, MessageStatus: row.provider, To: "+15551230000", MessageSid: providerId, AccountSid: fake.accountSid, From: "+15557654321", ApiVersion: "2010-04-01" };
        if (row.errorCode) params.ErrorCode = row.errorCode;
        return { url: WEBHOOK, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": fake.sign(WEBHOOK, params) }, body: new URLSearchParams(params).toString() };
      },
      inboundWebhook: (sms) => fake.inbound(WEBHOOK, sms),
      network: {
        requests: () => fake.requests,
        decodeBody: (req) => Object.fromEntries(new URLSearchParams(req.body)),
        expectedRequest: (sms) => ({
          method: "POST",
          path: `/2010-04-01/Accounts/${fake.accountSid}/Messages.json`,
          headers: {
            authorization: "Basic " + Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString("base64"),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: { To: sms.to, From: sms.from, Body: sms.body, StatusCallback: WEBHOOK },
        }),
        fault: (f) => fake.fault(f),
        badCredentials: accountFor(fake, { authToken: "wrong-token-0123456789" }),
        refused: accountFor(fake, { baseUrl: refusedUrl }),
        refusedSms: { sms: sampleSms({ to: "+1555" }), kind: "rejected" },
      },
      teardown: () => fake.stop(),
    };
  },
});

describe("twilio driver specifics", () => {
  let f: FakeTwilio;
  const t = createTestHost();
  const driver = createTwilioDriver(t.host);
  beforeAll(() => {
    f = startFakeTwilio();
  });
  afterAll(() => f.stop());

  test("webhooks signed by twilio-node's getExpectedTwilioSignature verify; a tampered one does not", () => {
    const params = { MessageSid: "SM1", MessageStatus: "delivered", To: "+15551230000", From: "+15557654321", Body: "a+b & ç" };
    const url = "https://pombo.example.com:8443/webhooks/twilio/acc_1?x=1";
    const sig = twilio.getExpectedTwilioSignature(f.authToken, url, params);
    const req = { url, method: "POST", headers: { "x-twilio-signature": sig }, body: new URLSearchParams(params).toString() };
    expect(driver.verifyWebhook(accountFor(f), req)).toEqual({ ok: true });
    const tampered = { ...req, body: req.body.replace("delivered", "failed") };
    expect(driver.verifyWebhook(accountFor(f), tampered).ok).toBe(false);
    expect(twilio.validateRequest(f.authToken, sig, url, params)).toBe(true);
  });

  test("our signature equals twilio-node's, including repeated keys", () => {
    const body = "b=2&a=1&a=0&a=1&Z=up";
    const form = parseForm(body);
    const ours = computeTwilioSignature(f.authToken, WEBHOOK, form);
    const theirs = twilio.getExpectedTwilioSignature(f.authToken, WEBHOOK, { b: "2", a: ["1", "0", "1"], Z: "up" });
    expect(ours).toBe(theirs);
  });

  test("accepts a signature made over the URL with the default port, or without an explicit one", () => {
    const params = { MessageSid: "SM2", MessageStatus: "sent" };
    const body = new URLSearchParams(params).toString();
    const signedWithPort = twilio.getExpectedTwilioSignature(f.authToken, "https://pombo.example.com:443/webhooks/twilio/acc_1", params);
    expect(driver.verifyWebhook(accountFor(f), { url: WEBHOOK, method: "POST", headers: { "x-twilio-signature": signedWithPort }, body }).ok).toBe(true);
    const signedWithout = twilio.getExpectedTwilioSignature(f.authToken, WEBHOOK, params);
    const req = { url: "https://pombo.example.com:443/webhooks/twilio/acc_1", method: "POST", headers: { "x-twilio-signature": signedWithout }, body };
    expect(driver.verifyWebhook(accountFor(f), req).ok).toBe(true);
  });

  test("checks bodySHA256 on JSON webhooks", () => {
    const body = JSON.stringify({ hello: "world" });
    const hash = new Bun.CryptoHasher("sha256").update(body).digest("hex");
    const url = `${WEBHOOK}?bodySHA256=${hash}`;
    const sig = twilio.getExpectedTwilioSignature(f.authToken, url, {});
    expect(twilio.validateRequestWithBody(f.authToken, sig, url, body)).toBe(true);
    expect(driver.verifyWebhook(accountFor(f), { url, method: "POST", headers: { "x-twilio-signature": sig }, body }).ok).toBe(true);
    expect(driver.verifyWebhook(accountFor(f), { url, method: "POST", headers: { "x-twilio-signature": sig }, body: body + " " }).ok).toBe(false);
  });

  test("maps Twilio error 21610 on send to opted_out and 20429 to throttled", async () => {
    f.optOut("+15550000001");
    const err = await driver.send(accountFor(f), sampleSms({ to: "+15550000001" }), AbortSignal.timeout(5000)).catch((e) => e);
    expect(err).toMatchObject({ kind: "opted_out", code: "21610" });
    f.fault({ kind: "status", status: 429, body: JSON.stringify({ code: 20429, message: "Too Many Requests", status: 429 }) });
    const slow = await driver.send(accountFor(f), sampleSms(), AbortSignal.timeout(5000)).catch((e) => e);
    expect(slow).toBeInstanceOf(DriverError);
    expect(slow.kind).toBe("throttled");
  });

  test("answers webhooks with empty TwiML", async () => {
    const res = driver.webhookReply();
    expect(res.headers.get("content-type")).toBe("text/xml");
    expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });

  test("a status callback emitted by the fake for a real send verifies and parses", async () => {
    const { providerId } = await driver.send(accountFor(f), sampleSms({ to: "+15550000002" }), AbortSignal.timeout(5000));
    const req = f.statusCallback(providerId, "undelivered", { errorCode: 30003 });
    expect(req.url).toBe(WEBHOOK);
    expect(driver.verifyWebhook(accountFor(f), req)).toEqual({ ok: true });
    expect(driver.parseWebhook(accountFor(f), req)).toEqual([{ type: "status", providerId, status: "undelivered", errorCode: "30003" }]);
  });

  test("lookup finds what became of messages to a number, including one whose answer was lost", async () => {
    const to = "+15550000003";
    f.fault({ kind: "hang", accept: true });
    const lost = await driver.send(accountFor(f), sampleSms({ to, body: "lost answer" }), AbortSignal.timeout(150)).catch((e) => e);
    expect(lost.kind).toBe("unknown_outcome");
    const { providerId } = await driver.send(accountFor(f), sampleSms({ to, body: "second" }), AbortSignal.timeout(5000));
    f.statusCallback(providerId, "delivered");
    await driver.send(accountFor(f), sampleSms({ to: "+15550000004" }), AbortSignal.timeout(5000));
    expect(f.sentTo(to)).toBe(2);
    const found = await driver.lookup!(accountFor(f), { to }, AbortSignal.timeout(5000));
    expect(found.map((m) => [m.to, m.body, m.status]).sort()).toEqual([[to, "lost answer", "queued"], [to, "second", "delivered"]]);
    expect(found.find((m) => m.providerId === providerId)?.at).toBeNumber();
    expect(f.requests.at(-1)!.query.get("To")).toBe(to);
  });

  test("lookup still finds a message Twilio stamped (to the second, with its own clock) just before since", async () => {
    const g = startFakeTwilio({ now: () => Date.UTC(2026, 0, 5, 12, 0, 0, 900) });
    try {
      const to = "+15550000005";
      await driver.send(accountFor(g), sampleSms({ to }), AbortSignal.timeout(5000));
      const since = Date.UTC(2026, 0, 5, 12, 0, 1, 200); // our clock runs a little ahead of Twilio's
      expect(await driver.lookup!(accountFor(g), { to, since }, AbortSignal.timeout(5000))).toHaveLength(1);
    } finally {
      await g.stop();
    }
  });

  test("lookup failures are transient, never unknown_outcome", async () => {
    f.fault({ kind: "hang" }, 1, "lookup");
    const err = await driver.lookup!(accountFor(f), { to: "+15550000003" }, AbortSignal.timeout(150)).catch((e) => e);
    expect(err.kind).toBe("transient");
  });

  test("rejects a config whose accountSid is not an Account SID", () => {
    expect(driver.validateConfig({ accountSid: "XX123", authToken: "t" })).toContain("accountSid");
    expect(driver.validateConfig({ accountSid: "AC123", authToken: "t", baseUrl: "ftp://x" })).toContain("baseUrl");
  });
});
