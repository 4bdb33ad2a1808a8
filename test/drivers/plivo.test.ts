import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { validateV3Signature } from "plivo/dist/utils/v3Security.js";
import { createPlivoDriver, parsePlivoTime } from "../../src/drivers/plivo.ts";
import type { DriverAccount, WebhookRequest } from "../../src/drivers/driver.ts";
import { startFakePlivo, type FakePlivo } from "../helpers/fake-plivo.ts";
import { createTestHost } from "../helpers/driver-host.ts";
import { runDriverConformance, sampleSms, type StatusRow } from "./conformance.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const WEBHOOK = "https://pombo.example.com/webhooks/plivo/acc_1";

function accountFor(fake: FakePlivo, over: Record<string, unknown> = {}): DriverAccount {
  return { id: "acc_1", webhookUrl: WEBHOOK, config: { authId: fake.authId, authToken: fake.authToken, baseUrl: fake.url, ...over } };
}

/** Checks a webhook with plivo-node's own validator, the way a Plivo customer would. */
function plivoNodeAccepts(token: string, req: WebhookRequest): boolean {
  const params: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(req.body)) params[k] = k in params ? [params[k]!, v].flat() : v;
  return validateV3Signature(req.method, req.url, req.headers["x-plivo-signature-v3-nonce"]!, token, req.headers["x-plivo-signature-v3"]!, params);
}

const STATUS_TABLE: StatusRow[] = [
  { provider: "queued", expect: { status: "queued" } },
  { provider: "sent", expect: { status: "sent" } },
  { provider: "delivered", expect: { status: "delivered" } },
  { provider: "undelivered", errorCode: "20", expect: { status: "undelivered", errorCode: "20" } },
  { provider: "failed", errorCode: "50", expect: { status: "failed", errorCode: "50" } },
  { provider: "failed", errorCode: "200", expect: { status: "failed", errorCode: "200", optOut: true } },
  { provider: "rejected", errorCode: "30", expect: { status: "failed", errorCode: "30" } },
];

let fake: FakePlivo;
runDriverConformance({
  name: "plivo",
  signed: true,
  network: true,
  statusTable: STATUS_TABLE,
  async setup() {
    fake = startFakePlivo();
    const t = createTestHost();
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const refusedUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const driver = createPlivoDriver(t.host);
    const account = accountFor(fake);
    return {
      driver, account, logs: t.logs,
      secrets: [fake.authToken, "wrong-token-0123456789", Buffer.from(`${fake.authId}:${fake.authToken}`).toString("base64")],
      statusWebhook(providerId, row) {
        // A real send gives the fake a message (and its callback url) to report on; then re-key it to providerId.
        fake.messages.push({ uuid: providerId, src: "+15557654321", dst: "+15551230000", text: "x", url: WEBHOOK, status: "queued", errorCode: "", created: 0 });
        return fake.statusCallback(providerId, row.provider, { errorCode: row.errorCode });
      },
      inboundWebhook: (sms) => fake.inbound(WEBHOOK, sms),
      network: {
        requests: () => fake.requests,
        decodeBody: (req) => JSON.parse(req.body),
        expectedRequest: (sms) => ({
          method: "POST",
          path: `/v1/Account/${fake.authId}/Message/`,
          headers: {
            authorization: "Basic " + Buffer.from(`${fake.authId}:${fake.authToken}`).toString("base64"),
            "content-type": "application/json",
          },
          body: { src: sms.from, dst: sms.to, text: sms.body, url: WEBHOOK, method: "POST" },
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

describe("plivo driver specifics", () => {
  let f: FakePlivo;
  const driver = createPlivoDriver(createTestHost().host);
  beforeAll(() => {
    f = startFakePlivo();
  });
  afterAll(() => f.stop());

  test("webhooks the fake signs are accepted by plivo-node's validateV3Signature and by Pombo; tampered ones by neither", async () => {
    const { providerId } = await driver.send(accountFor(f), sampleSms(), AbortSignal.timeout(5000));
    const req = f.statusCallback(providerId, "delivered");
    expect(plivoNodeAccepts(f.authToken, req)).toBe(true);
    expect(driver.verifyWebhook(accountFor(f), req)).toEqual({ ok: true });
    const tampered = { ...req, body: req.body.replace("Status=delivered", "Status=failed") };
    expect(plivoNodeAccepts(f.authToken, tampered)).toBe(false);
    expect(driver.verifyWebhook(accountFor(f), tampered).ok).toBe(false);
    const otherNonce = { ...req, headers: { ...req.headers, "x-plivo-signature-v3-nonce": "1" } };
    expect(driver.verifyWebhook(accountFor(f), otherNonce).ok).toBe(false);
  });

  test("agrees with plivo-node on URLs with a port, a query string and non-ASCII text", () => {
    const url = "http://127.0.0.1:8080/webhooks/plivo/acc_1?b=2&a=1";
    const req = { ...f.inbound(url, { from: "+15551230000", to: "+15557654321", body: "olá ✓" }) };
    expect(plivoNodeAccepts(f.authToken, req)).toBe(true);
    expect(driver.verifyWebhook(accountFor(f), req).ok).toBe(true);
  });

  test("accepts any of several comma-separated signatures (rotated auth tokens)", () => {
    const req = f.inbound(WEBHOOK, { from: "+15551230000", to: "+15557654321", body: "hi" });
    const rotated = { ...req, headers: { ...req.headers, "x-plivo-signature-v3": `c29tZXRoaW5nIGVsc2U=, ${req.headers["x-plivo-signature-v3"]}` } };
    expect(driver.verifyWebhook(accountFor(f), rotated).ok).toBe(true);
  });

  test("gives numbers back in E.164 and stamps the report time", async () => {
    const { providerId } = await driver.send(accountFor(f), sampleSms({ to: "+15550000009" }), AbortSignal.timeout(5000));
    const [event] = driver.parseWebhook(accountFor(f), f.statusCallback(providerId, "delivered"));
    expect(event).toMatchObject({ type: "status", providerId, status: "delivered" });
    expect((event as { at?: number }).at).toBeNumber();
    const [inbound] = driver.parseWebhook(accountFor(f), f.inbound(WEBHOOK, { from: "+15551230000", to: "+15557654321", body: "STOP" }));
    expect(inbound).toMatchObject({ from: "+15551230000", to: "+15557654321", body: "STOP" });
  });

  test("parses Plivo's time format as UTC", () => {
    expect(parsePlivoTime("2024-06-10 07:05:39.480468")).toBe(Date.UTC(2024, 5, 10, 7, 5, 39, 480));
    expect(parsePlivoTime("2024-06-10 07:05:39.480468+05:30")).toBe(Date.UTC(2024, 5, 10, 1, 35, 39, 480));
    expect(parsePlivoTime("yesterday")).toBeUndefined();
  });

  test("lookup lists outbound messages to a number from the MDR list", async () => {
    const to = "+15550000010";
    f.fault({ kind: "close", accept: true });
    const lost = await driver.send(accountFor(f), sampleSms({ to }), AbortSignal.timeout(5000)).catch((e) => e);
    expect(lost.kind).toBe("unknown_outcome");
    const { providerId } = await driver.send(accountFor(f), sampleSms({ to }), AbortSignal.timeout(5000));
    f.statusCallback(providerId, "failed", { errorCode: "200" });
    expect(f.sentTo(to)).toBe(2);
    const found = await driver.lookup!(accountFor(f), { to, since: Date.UTC(2026, 0, 5, 12, 0, 0) }, AbortSignal.timeout(5000));
    expect(found).toHaveLength(2);
    expect(found.find((m) => m.providerId === providerId)).toMatchObject({ to, status: "failed", errorCode: "200", optOut: true });
    const q = f.requests.at(-1)!.query;
    expect([q.get("to_number"), q.get("message_direction"), q.get("message_time__gte")]).toEqual([to, "outbound", "2026-01-05 11:55:00"]); // since minus 5 minutes of slack
  });

  test("an unknown auth id is a config error", async () => {
    const err = await driver.send(accountFor(f, { authId: "MANOPE" }), sampleSms(), AbortSignal.timeout(5000)).catch((e) => e);
    expect(err.kind).toBe("config");
  });
});
