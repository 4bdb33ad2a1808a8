/**
 * The one table-driven suite every SMS driver passes (in the spirit of courier's harness): the exact outgoing
 * request, the status mapping table, inbound parsing, signature accepted / rejected on tamper / rejected when
 * missing, send failures classified, and no secret in any thrown message or log line.
 * A driver's test file calls `runDriverConformance(case)` and then adds its own specifics.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DriverError, type DriverAccount, type DriverErrorKind, type OutboundSms, type SmsDriver, type StatusUpdate, type WebhookRequest } from "../../src/drivers/driver.ts";
import type { Fault, RecordedRequest } from "../helpers/fake-http.ts";

/** One row of a provider's status table: what the provider says → what Pombo must understand. */
export interface StatusRow {
  provider: string;
  errorCode?: string;
  expect: Partial<StatusUpdate>;
}

/** The request the provider expects for a send: headers listed must match exactly; the decoded body must equal. */
export interface ExpectedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** What a network driver's fake offers the suite. */
export interface NetworkHarness {
  requests(): RecordedRequest[];
  decodeBody(req: RecordedRequest): Record<string, unknown>;
  expectedRequest(sms: OutboundSms, account: DriverAccount): ExpectedRequest;
  fault(f: Fault): void;
  /** The same account with a wrong secret. */
  badCredentials: DriverAccount;
  /** The same account pointed at a loopback port where nothing listens. */
  refused: DriverAccount;
  /** A message the provider refuses for good, and the kind it must map to. */
  refusedSms: { sms: OutboundSms; kind: DriverErrorKind };
}

export interface Harness {
  driver: SmsDriver;
  account: DriverAccount;
  /** Every secret of `account` (and of `badCredentials`): none may reach an error message or a log line. */
  secrets: string[];
  logs: string[];
  network?: NetworkHarness;
  /** A status webhook as the provider would send (and sign) it for a message sent with `providerId`. */
  statusWebhook(providerId: string, row: StatusRow): WebhookRequest;
  inboundWebhook(sms: { from: string; to: string; body: string }): WebhookRequest;
  teardown(): Promise<void>;
}

export interface DriverCase {
  name: string;
  /** False for drivers whose events never come over HTTP (sandbox): verifyWebhook must refuse everything. */
  signed: boolean;
  statusTable: StatusRow[];
  /** True when `setup` returns a `network` harness (every HTTP driver). */
  network: boolean;
  setup(): Promise<Harness>;
}

let seq = 0;
/** A fresh outbound message; the body has a space, an ampersand and an accent to catch encoding slips. */
export function sampleSms(over: Partial<OutboundSms> = {}): OutboundSms {
  seq += 1;
  return { messageId: `msg_${seq}`, from: "+15557654321", to: "+15551230000", body: `Hi Ana & co, olá #${seq}`, ...over };
}

const FAULTS: Array<{ name: string; fault: Fault; kind: DriverErrorKind; retryAfterMs?: number }> = [
  { name: "429 with Retry-After", fault: { kind: "status", status: 429, headers: { "retry-after": "7" }, body: '{"message":"Too Many Requests"}' }, kind: "throttled", retryAfterMs: 7000 },
  { name: "500", fault: { kind: "status", status: 500, body: '{"message":"internal error"}' }, kind: "transient" },
  { name: "503 with an HTML body", fault: { kind: "status", status: 503, body: "<html>down</html>" }, kind: "transient" },
  { name: "a provider that never answers (timeout)", fault: { kind: "hang" }, kind: "unknown_outcome" },
  { name: "a 2xx with a garbage body", fault: { kind: "garbage" }, kind: "unknown_outcome" },
  { name: "a connection closed before the answer", fault: { kind: "close" }, kind: "unknown_outcome" },
];

/** Registers the conformance suite for one driver. */
export function runDriverConformance(c: DriverCase): void {
  describe(`${c.name} driver conformance`, () => {
    let h: Harness;
    const thrown: string[] = [];
    const attempt = async (account: DriverAccount, sms: OutboundSms, signal = AbortSignal.timeout(5000)) => {
      try {
        await h.driver.send(account, sms, signal);
      } catch (err) {
        thrown.push(String(err), (err as Error).message, JSON.stringify(err));
        return err;
      }
      throw new Error("send was expected to fail");
    };
    beforeAll(async () => {
      h = await c.setup();
    });
    afterAll(() => h?.teardown());

    test("names itself and describes every config field for the UI", () => {
      expect(h.driver.name).toBe(c.name);
      expect(h.driver.label.length).toBeGreaterThan(0);
      for (const f of h.driver.fields) {
        expect(f.name).toMatch(/^[a-z][A-Za-z]*$/);
        expect(f.label.length).toBeGreaterThan(0);
        if (/token|secret|password/i.test(f.name)) expect(f.secret).toBe(true);
      }
      expect(h.driver.validateConfig(h.account.config)).toBeUndefined();
    });

    test("names the missing field when a required one is absent", () => {
      for (const f of h.driver.fields.filter((x) => x.required)) {
        const { [f.name]: _gone, ...rest } = h.account.config;
        expect(h.driver.validateConfig(rest)).toContain(f.name);
      }
    });

    test("send returns the provider's id" + (c.network ? " after building the exact request the provider expects" : ""), async () => {
      const sms = sampleSms();
      const before = h.network?.requests().length ?? 0;
      const { providerId } = await h.driver.send(h.account, sms, AbortSignal.timeout(5000));
      expect(providerId.length).toBeGreaterThan(3);
      if (!h.network) return;
      const reqs = h.network.requests();
      expect(reqs.length).toBe(before + 1);
      const req = reqs.at(-1)!;
      const want = h.network.expectedRequest(sms, h.account);
      expect({ method: req.method, path: req.path }).toEqual({ method: want.method, path: want.path });
      for (const [k, v] of Object.entries(want.headers)) expect(`${k}: ${req.headers[k]}`).toBe(`${k}: ${v}`);
      expect(h.network.decodeBody(req)).toEqual(want.body);
    });

    test.each(c.statusTable)("maps status %o", async (row) => {
      const req = h.statusWebhook("prov-id-1", row);
      if (c.signed) expect(h.driver.verifyWebhook(h.account, req)).toEqual({ ok: true });
      const events = h.driver.parseWebhook(h.account, req);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: "status", providerId: "prov-id-1", ...row.expect });
      if (!row.expect.optOut) expect((events[0] as StatusUpdate).optOut).toBeFalsy();
    });

    test("parses an inbound message", () => {
      const req = h.inboundWebhook({ from: "+15551230000", to: "+15557654321", body: "Stop please & thanks" });
      if (c.signed) expect(h.driver.verifyWebhook(h.account, req)).toEqual({ ok: true });
      const events = h.driver.parseWebhook(h.account, req);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: "inbound", from: "+15551230000", to: "+15557654321", body: "Stop please & thanks" });
      expect(events[0]!.providerId.length).toBeGreaterThan(3);
    });

    test("throws on a malformed webhook body", () => {
      const req = { ...h.inboundWebhook({ from: "+15551230000", to: "+15557654321", body: "x" }), body: "{not a webhook" };
      expect(() => h.driver.parseWebhook(h.account, req)).toThrow();
    });

    if (c.signed) {
      test("accepts a correctly signed webhook and rejects a tampered body, URL or missing signature", () => {
        const req = h.statusWebhook("prov-id-2", c.statusTable[0]!);
        expect(h.driver.verifyWebhook(h.account, req)).toEqual({ ok: true });
        const last = req.body.at(-1) === "1" ? "2" : "1";
        expect(h.driver.verifyWebhook(h.account, { ...req, body: req.body.slice(0, -1) + last }).ok).toBe(false);
        expect(h.driver.verifyWebhook(h.account, { ...req, url: req.url.replace(/\/([^/]+)$/, "/other-account") }).ok).toBe(false);
        const unsigned = { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.includes("signature"))) };
        const missing = h.driver.verifyWebhook(h.account, unsigned);
        expect(missing.ok).toBe(false);
        const other = { ...h.account, config: { ...h.account.config, ...h.network?.badCredentials.config } };
        expect(h.driver.verifyWebhook(other, req).ok).toBe(false);
      });
    } else {
      test("refuses every webhook that comes over HTTP", () => {
        const req = h.statusWebhook("prov-id-2", c.statusTable[0]!);
        expect(h.driver.verifyWebhook(h.account, req).ok).toBe(false);
      });
    }

    test("answers the provider with a 2xx once the webhook is stored", () => {
      const res = h.driver.webhookReply();
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
    });

    test("classifies a send whose signal was aborted before it started as transient, sending nothing", async () => {
      const before = h.network?.requests().length ?? 0;
      const err = await attempt(h.account, sampleSms(), AbortSignal.abort());
      expect(err).toBeInstanceOf(DriverError);
      expect((err as DriverError).kind).toBe("transient");
      expect(h.network?.requests().length ?? 0).toBe(before);
    });

    if (!c.network) return;

    test.each(FAULTS)("classifies $name as $kind", async ({ fault, kind, retryAfterMs }) => {
      h.network!.fault(fault);
      const err = await attempt(h.account, sampleSms(), AbortSignal.timeout(fault.kind === "hang" ? 200 : 5000));
      expect(err).toBeInstanceOf(DriverError);
      expect((err as DriverError).kind).toBe(kind);
      if (retryAfterMs !== undefined) expect((err as DriverError).retryAfterMs).toBe(retryAfterMs);
    });

    test("classifies connection refused (nothing sent) as transient", async () => {
      const err = (await attempt(h.network!.refused, sampleSms())) as DriverError;
      expect(err.kind).toBe("transient");
    });

    test("classifies refused credentials as config", async () => {
      const err = (await attempt(h.network!.badCredentials, sampleSms())) as DriverError;
      expect(err.kind).toBe("config");
    });

    test("classifies a message the provider refuses for good", async () => {
      const { sms, kind } = h.network!.refusedSms;
      const err = (await attempt(h.account, sms)) as DriverError;
      expect(err.kind).toBe(kind);
    });

    test("never puts a secret in a thrown message or a log line", () => {
      expect(thrown.length).toBeGreaterThan(10);
      expect(h.logs.length).toBeGreaterThan(0);
      for (const secret of h.secrets) {
        expect(secret.length).toBeGreaterThan(8);
        for (const text of [...thrown, ...h.logs]) expect(text).not.toContain(secret);
      }
      for (const line of h.logs) expect(() => JSON.parse(line)).not.toThrow();
    });
  });
}

/** The DriverError `p` rejects with. @throws when it resolves or rejects with anything else. */
export async function driverError(p: Promise<unknown>): Promise<DriverError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof DriverError)) throw new Error(`expected a DriverError, got ${String(e)}`);
  return e;
}

/**
 * A look-up is idempotent, so a lost or broken answer is transient, never unknown_outcome: checks a 5xx, a 2xx with
 * a garbage body and a provider that never answers, each queued on the fake's next look-up. Returns the errors'
 * messages (for the caller's no-secret check).
 */
export async function expectLookupFaultsTransient(fault: (f: Fault) => void, lookup: (signal: AbortSignal) => Promise<unknown>): Promise<string[]> {
  const messages: string[] = [];
  for (const [f, timeoutMs] of [[{ kind: "status", status: 503 }, 5000], [{ kind: "garbage" }, 5000], [{ kind: "hang" }, 150]] as const) {
    fault(f);
    const err = await driverError(lookup(AbortSignal.timeout(timeoutMs)));
    expect([f.kind, err.kind]).toEqual([f.kind, "transient"]);
    messages.push(err.message);
  }
  return messages;
}
