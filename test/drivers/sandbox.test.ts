import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createSandboxDriver, sandboxInboundRequest, sandboxOutcome } from "../../src/drivers/sandbox.ts";
import type { DriverAccount, StatusUpdate } from "../../src/drivers/driver.ts";
import { createTestHost } from "../helpers/driver-host.ts";
import { runDriverConformance, sampleSms, type StatusRow } from "./conformance.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const WEBHOOK = "https://pombo.example.com/webhooks/sandbox/acc_sb";
const account = (config: Record<string, unknown> = {}): DriverAccount => ({ id: "acc_sb", webhookUrl: WEBHOOK, config });

const STATUS_TABLE: StatusRow[] = [
  { provider: "delivered", expect: { status: "delivered" } },
  { provider: "undelivered", errorCode: "sandbox_unreachable", expect: { status: "undelivered", errorCode: "sandbox_unreachable" } },
  { provider: "failed", errorCode: "sandbox_failed", expect: { status: "failed", errorCode: "sandbox_failed" } },
];

runDriverConformance({
  name: "sandbox",
  signed: false,
  network: false,
  statusTable: STATUS_TABLE,
  async setup() {
    const t = createTestHost();
    const driver = createSandboxDriver(t.host);
    return {
      driver, account: account({ deliveryDelayMs: 0, failureRate: 0 }), secrets: [], logs: t.logs,
      statusWebhook: (providerId, row) => ({
        url: WEBHOOK, method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "status", providerId, status: row.provider, errorCode: row.errorCode, at: 1 }),
      }),
      inboundWebhook: (sms) => sandboxInboundRequest("acc_sb", sms),
      teardown: () => driver.close!(),
    };
  },
});

describe("sandbox driver specifics", () => {
  test("a delivery report reaches host.ingest, stamped by the host clock when it fires, and parses back", async () => {
    const t = createTestHost();
    const driver = createSandboxDriver(t.host);
    const sentAt = t.clock.now();
    const { providerId } = await driver.send(account({ deliveryDelayMs: 0 }), sampleSms({ messageId: "m-ok" }), AbortSignal.timeout(1000));
    expect(providerId).toMatch(/^SB[0-9a-f]{16}[0-9a-z]{8,}$/);
    t.clock.advance(60_000); // before the timer fires: the report is stamped when it fires, from host.clock
    const [call] = await t.waitForIngest(1);
    expect(call!.driver).toBe("sandbox");
    expect(call!.accountId).toBe("acc_sb");
    expect(call!.req.url).toBe(WEBHOOK);
    expect(driver.parseWebhook(account(), call!.req)).toEqual([{ type: "status", providerId, status: "delivered", errorCode: undefined, errorMessage: undefined, at: sentAt + 60_000 }]);
    const again = await driver.send(account({ deliveryDelayMs: 0 }), sampleSms({ messageId: "m-ok2" }), AbortSignal.timeout(1000));
    expect(again.providerId).not.toBe(providerId);
    await t.waitForIngest(2);
  });

  test("failureRate 1 reports every message failed or undelivered, with an error code", async () => {
    const t = createTestHost();
    const driver = createSandboxDriver(t.host);
    for (let i = 0; i < 6; i++) await driver.send(account({ deliveryDelayMs: 0, failureRate: 1 }), sampleSms({ messageId: `m-f${i}` }), AbortSignal.timeout(1000));
    await driver.close!(); // flushes every pending batch
    const events = t.ingested.flatMap((c) => driver.parseWebhook(account(), c.req) as StatusUpdate[]);
    expect(events).toHaveLength(6);
    for (const e of events) {
      expect(["failed", "undelivered"]).toContain(e.status);
      expect(e.errorCode).toMatch(/^sandbox_/);
    }
  });

  test("reports due together travel as one webhook", async () => {
    const t = createTestHost();
    const driver = createSandboxDriver(t.host);
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add((await driver.send(account({ deliveryDelayMs: 60_000 }), sampleSms({ messageId: `m-b${i}` }), AbortSignal.timeout(1000))).providerId);
    await driver.close!();
    expect(t.ingested.length).toBeLessThan(5);
    const events = t.ingested.flatMap((c) => driver.parseWebhook(account(), c.req) as StatusUpdate[]);
    expect(new Set(events.map((e) => e.providerId))).toEqual(ids);
  });

  test("the outcome is a pure function of the message id and the rate", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `msg-${i}`);
    const first = ids.map((id) => sandboxOutcome(id, 0.3).status);
    expect(ids.map((id) => sandboxOutcome(id, 0.3).status)).toEqual(first);
    const failed = first.filter((s) => s !== "delivered").length / ids.length;
    expect(failed).toBeGreaterThan(0.25);
    expect(failed).toBeLessThan(0.35);
    expect(ids.every((id) => sandboxOutcome(id, 0).status === "delivered")).toBe(true);
    expect(sandboxOutcome("msg-7", 0.3)).toEqual(sandboxOutcome("msg-7", 0.3));
  });

  test("never touches the network", async () => {
    const t = createTestHost();
    const driver = createSandboxDriver(t.host);
    const real = globalThis.fetch;
    let calls = 0;
    globalThis.fetch = Object.assign(() => { calls++; throw new Error("no network in the sandbox"); }, real);
    try {
      await driver.send(account({ deliveryDelayMs: 0 }), sampleSms(), AbortSignal.timeout(1000));
      await t.waitForIngest(1);
    } finally {
      globalThis.fetch = real;
    }
    expect(calls).toBe(0);
  });

  test("close() flushes pending reports instead of dropping them", async () => {
    const t = createTestHost();
    const driver = createSandboxDriver(t.host);
    await driver.send(account({ deliveryDelayMs: 10_000_000 }), sampleSms(), AbortSignal.timeout(1000));
    expect(t.ingested).toHaveLength(0);
    await driver.close!();
    expect(t.ingested).toHaveLength(1);
  });

  test("a failing ingest is logged, not thrown", async () => {
    const t = createTestHost({ ingestFails: true });
    const driver = createSandboxDriver(t.host);
    await driver.send(account({ deliveryDelayMs: 10_000_000 }), sampleSms(), AbortSignal.timeout(1000));
    await driver.close!();
    expect(t.logs.some((l) => l.includes("sandbox report not ingested"))).toBe(true);
  });

  test("an inbound request keeps its id when parsed twice (safe to re-run)", () => {
    const driver = createSandboxDriver(createTestHost().host);
    const req = sandboxInboundRequest("acc_sb", { from: "+15551230000", to: "+15557654321", body: "STOP", at: 5 });
    const once = driver.parseWebhook(account(), req);
    expect(driver.parseWebhook(account(), req)).toEqual(once);
    expect(once[0]).toMatchObject({ type: "inbound", from: "+15551230000", to: "+15557654321", body: "STOP", at: 5 });
  });

  test("rejects a number that is not E.164 and validates its config", async () => {
    const driver = createSandboxDriver(createTestHost().host);
    const err = await driver.send(account(), sampleSms({ to: "555-1234" }), AbortSignal.timeout(1000)).catch((e) => e);
    expect(err.kind).toBe("rejected");
    expect(driver.validateConfig({})).toBeUndefined();
    expect(driver.validateConfig({ failureRate: 2 })).toContain("failureRate");
    expect(driver.validateConfig({ deliveryDelayMs: -1 })).toContain("deliveryDelayMs");
    expect(driver.validateConfig({ deliveryDelayMs: "soon" })).toContain("deliveryDelayMs");
  });
});
