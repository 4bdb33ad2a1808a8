/**
 * A fake Twilio on 127.0.0.1:0 speaking the 2010-04-01 REST wire format: basic auth, form-encoded Message
 * creation (201 + the Message resource), the Messages list filtered by To (newest first), Twilio's error JSON,
 * and status callbacks / inbound webhooks signed with twilio-node's own `getExpectedTwilioSignature`.
 */
import { randomBytes } from "node:crypto";
import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks.js";
import type { WebhookRequest } from "../../src/drivers/driver.ts";
import { json, readBasicAuth, startFakeServer, type FakeServer, type RecordedRequest } from "./fake-http.ts";

export interface TwilioMessageRecord {
  sid: string; to: string; from: string; body: string; status: string; statusCallback?: string;
  errorCode: number | null; errorMessage: string | null; created: number; updated: number;
}

export interface FakeTwilio extends FakeServer {
  accountSid: string;
  authToken: string;
  messages: TwilioMessageRecord[];
  /** How many messages Twilio accepted for `phone` (E.164). */
  sentTo(phone: string): number;
  /** Makes later sends to `phone` fail with 21610, as after the recipient texted STOP. */
  optOut(phone: string): void;
  /** Moves a stored message to `status` and returns its signed status callback, aimed at its StatusCallback. */
  statusCallback(sid: string, status: string, opts?: { errorCode?: number; errorMessage?: string }): WebhookRequest;
  /** A signed inbound-message webhook posted to `url`. */
  inbound(url: string, sms: { from: string; to: string; body: string }): WebhookRequest;
  /** Signs `params` for `url` the way Twilio does. */
  sign(url: string, params: Record<string, string | string[]>): string;
}

const SID = "AC" + "c0ffee00".repeat(4);
const TOKEN = "twilio-secret-token-" + "9".repeat(12);

/** Starts the fake; `now` stamps dates (defaults to the wall clock). */
export function startFakeTwilio(opts: { accountSid?: string; authToken?: string; now?: () => number } = {}): FakeTwilio {
  const accountSid = opts.accountSid ?? SID;
  const authToken = opts.authToken ?? TOKEN;
  const now = opts.now ?? Date.now;
  const messages: TwilioMessageRecord[] = [];
  // Indexes, so a fake holding hundreds of thousands of messages (the chaos suite) answers in O(1) per call.
  const bySid = new Map<string, TwilioMessageRecord>();
  const byTo = new Map<string, TwilioMessageRecord[]>();
  const optedOut = new Set<string>();
  const base = `/2010-04-01/Accounts/${accountSid}/Messages`;

  const error = (status: number, code: number, message: string) =>
    json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

  const create = (req: RecordedRequest): Response => {
    const form = new URLSearchParams(req.body);
    const to = form.get("To");
    if (!to) return error(400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return error(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!form.get("From")) return error(400, 21603, "A 'From' phone number is required.");
    if (!form.get("Body")) return error(400, 21602, "Message body is required.");
    if (optedOut.has(to)) return error(400, 21610, "Attempt to send to unsubscribed recipient");
    const t = now();
    const m: TwilioMessageRecord = {
      sid: "SM" + randomBytes(16).toString("hex"), to, from: form.get("From")!, body: form.get("Body")!, status: "queued",
      statusCallback: form.get("StatusCallback") ?? undefined, errorCode: null, errorMessage: null, created: t, updated: t,
    };
    messages.push(m);
    bySid.set(m.sid, m);
    byTo.set(to, [...(byTo.get(to) ?? []), m]);
    return json(201, resource(m));
  };

  const list = (req: RecordedRequest): Response => {
    const to = req.query.get("To");
    const size = Number(req.query.get("PageSize") ?? 50);
    const items = (to ? [...(byTo.get(to) ?? [])] : [...messages]).sort((a, b) => b.created - a.created).slice(0, size);
    return json(200, {
      end: Math.max(0, items.length - 1), first_page_uri: `${base}.json?${req.query}&Page=0`, messages: items.map(resource),
      next_page_uri: null, page: 0, page_size: size, previous_page_uri: null, start: 0, uri: `${base}.json?${req.query}`,
    });
  };

  const server = startFakeServer((req) => {
    const isSend = req.method === "POST";
    const run = () => {
      const auth = readBasicAuth(req.headers);
      if (!auth || auth.user !== accountSid || auth.password !== authToken) {
        return error(401, 20003, "Authentication Error - invalid username");
      }
      if (req.path !== `${base}.json`) return error(404, 20404, `The requested resource ${req.path} was not found`);
      return isSend ? create(req) : list(req);
    };
    return { target: isSend ? "send" : "lookup", run };
  });

  const sign = (url: string, params: Record<string, string | string[]>) => getExpectedTwilioSignature(authToken, url, params);
  const signed = (url: string, params: Record<string, string>): WebhookRequest => ({
    url, method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sign(url, params), "i-twilio-idempotency-token": randomBytes(8).toString("hex") },
    body: new URLSearchParams(params).toString(),
  });

  return {
    ...server, accountSid, authToken, messages, sign,
    sentTo: (phone) => byTo.get(phone)?.length ?? 0,
    optOut: (phone) => void optedOut.add(phone),
    statusCallback(sid, status, o = {}) {
      const m = bySid.get(sid);
      if (!m?.statusCallback) throw new Error(`fake twilio: no message ${sid} with a StatusCallback`);
      Object.assign(m, { status, updated: now(), errorCode: o.errorCode ?? null, errorMessage: o.errorMessage ?? null });
      const params: Record<string, string> = {
        SmsSid: sid, SmsStatus: status, MessageStatus: status, To: m.to, MessageSid: sid, AccountSid: accountSid, From: m.from, ApiVersion: "2010-04-01",
      };
      if (o.errorCode !== undefined) params.ErrorCode = String(o.errorCode);
      return signed(m.statusCallback, params);
    },
    inbound(url, sms) {
      const sid = "SM" + randomBytes(16).toString("hex");
      return signed(url, {
        ToCountry: "US", ToState: "CA", SmsMessageSid: sid, NumMedia: "0", ToCity: "SAN FRANCISCO", FromZip: "94105", SmsSid: sid,
        FromState: "CA", SmsStatus: "received", FromCity: "SAN FRANCISCO", Body: sms.body, FromCountry: "US", To: sms.to,
        ToZip: "94105", NumSegments: "1", MessageSid: sid, AccountSid: accountSid, From: sms.from, ApiVersion: "2010-04-01",
      });
    },
  };

  function resource(m: TwilioMessageRecord) {
    return {
      account_sid: accountSid, api_version: "2010-04-01", body: m.body, date_created: rfc2822(m.created),
      date_sent: m.status === "queued" ? null : rfc2822(m.updated), date_updated: rfc2822(m.updated), direction: "outbound-api",
      error_code: m.errorCode, error_message: m.errorMessage, from: m.from, messaging_service_sid: null, num_media: "0",
      num_segments: "1", price: null, price_unit: "USD", sid: m.sid, status: m.status,
      subresource_uris: { media: `${base}/${m.sid}/Media.json` }, to: m.to, uri: `${base}/${m.sid}.json`,
    };
  }
}

/** Twilio's date format: "Thu, 24 Aug 2023 05:01:45 +0000". */
function rfc2822(t: number): string {
  return new Date(t).toUTCString().replace("GMT", "+0000");
}
