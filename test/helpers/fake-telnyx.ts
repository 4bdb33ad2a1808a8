/**
 * A fake Telnyx Messaging v2 on 127.0.0.1:0: Bearer auth, `POST /v2/messages` answering the message resource
 * (`{"data":{...}}`) or Telnyx's `{"errors":[...]}`, the Detail Record Search over the messages it accepted
 * (fake-telnyx-mdrs.ts), and message.sent / message.finalized / message.received webhooks signed the real way —
 * Ed25519 over `${timestamp}|${body}` — with a key pair it generates.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import type { WebhookRequest } from "../../src/drivers/driver.ts";
import { json, startFakeServer, type FakeServer, type RecordedRequest } from "./fake-http.ts";
import { searchTelnyxMdrs, type TelnyxMdrSource } from "./fake-telnyx-mdrs.ts";

export interface TelnyxMessageRecord extends TelnyxMdrSource {
  text: string;
}

export interface FakeTelnyx extends FakeServer {
  apiKey: string;
  /** The webhook public key as Mission Control shows it: 32 raw bytes, base64. */
  publicKey: string;
  messages: TelnyxMessageRecord[];
  /** Later sends to `phone` fail with 40300 (blocked due to STOP). */
  optOut(phone: string): void;
  /** Gives a stored message's detail record its final status (MDR words: delivered, gw_reject, …) and error codes. */
  finalizeMdr(id: string, status: string, errors?: string[]): void;
  /** A signed message.sent / message.finalized event for a stored message, aimed at its webhook_url. */
  statusEvent(id: string, status: string, opts?: { eventType?: string; errorCode?: string; title?: string; timestamp?: number }): WebhookRequest;
  /** A signed message.received event posted to `url`. */
  inbound(url: string, sms: { from: string; to: string; body: string }, opts?: { timestamp?: number }): WebhookRequest;
  /** Signs `body` at `timestamp` (seconds) the way Telnyx does; returns the two headers. */
  signHeaders(body: string, timestamp: number): Record<string, string>;
}

/** Starts the fake; `now` stamps events and signature timestamps (defaults to the wall clock). */
export function startFakeTelnyx(opts: { now?: () => number } = {}): FakeTelnyx {
  const now = opts.now ?? Date.now;
  const apiKey = "KEY0123456789ABCDEF_" + randomUUID().replaceAll("-", "");
  const { publicKey: pub, privateKey } = generateKeyPairSync("ed25519");
  const publicKey = (pub.export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("base64");
  const messages: TelnyxMessageRecord[] = [];
  const optedOut = new Set<string>();
  const errors = (status: number, code: string, title: string, detail: string) => json(status, { errors: [{ code, title, detail, meta: { url: `https://developers.telnyx.com/docs/overview/errors/${code}` } }] });

  const create = (req: RecordedRequest): Response => {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return errors(401, "10009", "Authentication failed", "The API key looks malformed. Check that you copied it correctly.");
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(req.body);
    } catch {
      return errors(400, "10015", "Bad Request", "The request failed because it was not well-formed.");
    }
    const to = String(p.to ?? "");
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return errors(400, "40310", "Invalid 'to' address", "The 'to' address should be in E.164 format.");
    if (optedOut.has(to)) return errors(400, "40300", "Blocked due to STOP message", "Messages cannot be sent to this number because it replied STOP.");
    const m: TelnyxMessageRecord = {
      id: randomUUID(), from: String(p.from), to, text: String(p.text), webhookUrl: p.webhook_url as string | undefined,
      messagingProfileId: p.messaging_profile_id as string | undefined, created: now(),
    };
    messages.push(m);
    return json(200, { data: { ...resource(m, "queued"), received_at: new Date(now()).toISOString(), sent_at: null, completed_at: null } });
  };

  const server = startFakeServer((req) => {
    if (req.method === "GET" && req.path === "/v2/detail_records") return { target: "lookup", run: () => searchTelnyxMdrs(apiKey, messages, req) };
    return { target: "send", run: () => (req.method === "POST" && req.path === "/v2/messages" ? create(req) : errors(404, "10005", "Resource not found", req.path)) };
  });

  const signHeaders = (body: string, timestamp: number) => ({
    "telnyx-signature-ed25519": sign(null, Buffer.from(`${timestamp}|${body}`), privateKey as KeyObject).toString("base64"),
    "telnyx-timestamp": String(timestamp),
  });
  const event = (url: string, eventType: string, payload: Record<string, unknown>, timestamp?: number): WebhookRequest => {
    const t = timestamp ?? now();
    const body = JSON.stringify({
      data: { event_type: eventType, id: randomUUID(), occurred_at: new Date(t).toISOString().replace("Z", "+00:00"), payload, record_type: "event" },
      meta: { attempt: 1, delivered_to: url },
    });
    return { url, method: "POST", headers: { "content-type": "application/json", ...signHeaders(body, Math.floor(t / 1000)) }, body };
  };

  function resource(m: TelnyxMessageRecord, status: string) {
    return {
      record_type: "message", direction: "outbound", id: m.id, type: "SMS", messaging_profile_id: m.messagingProfileId ?? null,
      organization_id: "b448f9cc-a842-4784-98e9-03c1a5872950", from: { phone_number: m.from, carrier: "Telnyx", line_type: "Wireless" },
      to: [{ phone_number: m.to, status, carrier: "T-MOBILE USA, INC.", line_type: "Wireless" }], text: m.text, media: [],
      webhook_url: m.webhookUrl ?? null, webhook_failover_url: null, encoding: "GSM-7", parts: 1, tags: [], cost: null, valid_until: null, errors: [] as unknown[],
    };
  }

  return {
    ...server, apiKey, publicKey, messages, signHeaders,
    optOut: (phone) => void optedOut.add(phone),
    finalizeMdr(id, status, errs = []) {
      const m = messages.find((x) => x.id === id);
      if (!m) throw new Error(`fake telnyx: no message ${id}`);
      Object.assign(m, { mdrStatus: status, mdrErrors: errs, completed: now() });
    },
    statusEvent(id, status, o = {}) {
      const m = messages.find((x) => x.id === id);
      if (!m?.webhookUrl) throw new Error(`fake telnyx: no message ${id} with a webhook_url`);
      const payload = { ...resource(m, status), completed_at: new Date(now()).toISOString(), sent_at: new Date(now()).toISOString() };
      if (o.errorCode) payload.errors = [{ code: o.errorCode, title: o.title ?? "Delivery failed", detail: "" }];
      return event(m.webhookUrl, o.eventType ?? "message.finalized", payload, o.timestamp);
    },
    inbound(url, sms, o = {}) {
      return event(url, "message.received", {
        direction: "inbound", id: randomUUID(), record_type: "message", type: "SMS", text: sms.body, media: [], encoding: "GSM-7", parts: 1,
        from: { carrier: "T-Mobile USA", line_type: "long_code", phone_number: sms.from },
        to: [{ carrier: "Telnyx", line_type: "Wireless", phone_number: sms.to, status: "webhook_delivered" }],
        received_at: new Date(now()).toISOString(),
      }, o.timestamp);
    },
  };
}
