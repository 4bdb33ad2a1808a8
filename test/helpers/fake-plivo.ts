/**
 * A fake Plivo on 127.0.0.1:0 speaking the Message API wire format: basic auth, JSON Message creation
 * (202 + message_uuid), the message list (MDRs) filtered by to_number, Plivo's error JSON, and form-encoded
 * status callbacks / inbound messages signed with X-Plivo-Signature-V3 (plivo-node's validateV3Signature accepts
 * them: see test/drivers/plivo.test.ts). Plivo writes numbers without "+" in webhooks and MDRs.
 */
import { randomInt, randomUUID } from "node:crypto";
import { computePlivoSignatureV3 } from "../../src/drivers/plivo-signature.ts";
import { parseForm } from "../../src/drivers/fields.ts";
import type { WebhookRequest } from "../../src/drivers/driver.ts";
import { json, readBasicAuth, startFakeServer, type FakeServer, type RecordedRequest } from "./fake-http.ts";

export interface PlivoMessageRecord {
  uuid: string; src: string; dst: string; text: string; url?: string; status: string; errorCode: string; created: number;
}

export interface FakePlivo extends FakeServer {
  authId: string;
  authToken: string;
  messages: PlivoMessageRecord[];
  /** How many messages Plivo accepted for `phone` (E.164). */
  sentTo(phone: string): number;
  /** Moves a stored message to `status` and returns its signed status callback, aimed at its `url`. */
  statusCallback(uuid: string, status: string, opts?: { errorCode?: string }): WebhookRequest;
  /** A signed inbound-message webhook posted to `url`. */
  inbound(url: string, sms: { from: string; to: string; body: string }): WebhookRequest;
}

const AUTH_ID = "MAZDQ1ZJIYMDCWYTKZMT";
const TOKEN = "plivo-secret-token-" + "7".repeat(14);
const digits = (n: string) => n.replace(/^\+/, "");

/** Starts the fake; `now` stamps message times (defaults to the wall clock). */
export function startFakePlivo(opts: { authId?: string; authToken?: string; now?: () => number } = {}): FakePlivo {
  const authId = opts.authId ?? AUTH_ID;
  const authToken = opts.authToken ?? TOKEN;
  const now = opts.now ?? Date.now;
  const messages: PlivoMessageRecord[] = [];
  const path = `/v1/Account/${authId}/Message/`;
  const error = (status: number, message: string) => json(status, { api_id: randomUUID(), error: message });

  const create = (req: RecordedRequest): Response => {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(req.body);
    } catch {
      return error(400, "invalid json data sent");
    }
    if (typeof b.src !== "string" || !b.src) return error(400, "src parameter not present");
    if (typeof b.dst !== "string" || !b.dst) return error(400, "dst parameter not present");
    if (!/^\+?[1-9]\d{6,14}$/.test(b.dst)) return error(400, "invalid dst parameter");
    if (typeof b.text !== "string" || !b.text) return error(400, "text parameter not present");
    const m: PlivoMessageRecord = {
      uuid: randomUUID(), src: b.src, dst: b.dst, text: b.text, url: typeof b.url === "string" ? b.url : undefined,
      status: "queued", errorCode: "", created: now(),
    };
    messages.push(m);
    return json(202, { api_id: randomUUID(), message: "message(s) queued", message_uuid: [m.uuid] });
  };

  const list = (req: RecordedRequest): Response => {
    const to = req.query.get("to_number");
    const items = messages.filter((m) => !to || digits(m.dst) === digits(to)).sort((a, b) => b.created - a.created).slice(0, 20);
    return json(200, {
      api_id: randomUUID(), meta: { limit: 20, next: null, offset: 0, previous: null, total_count: items.length },
      objects: items.map((m) => ({
        error_code: m.errorCode, from_number: digits(m.src), message_direction: "outbound", message_state: m.status,
        message_time: plivoTime(m.created) + "+00:00", message_type: "sms", message_uuid: m.uuid,
        resource_uri: `${path}${m.uuid}/`, to_number: digits(m.dst), total_amount: "0.00000", total_rate: "0.00350", units: 1,
      })),
    });
  };

  const server = startFakeServer((req) => {
    const isSend = req.method === "POST";
    const run = () => {
      const auth = readBasicAuth(req.headers);
      if (!auth || auth.user !== authId || auth.password !== authToken) return error(401, "authentication failed");
      if (req.path !== path) return error(404, "not found");
      return isSend ? create(req) : list(req);
    };
    return { target: isSend ? "send" : "lookup", run };
  });

  const signed = (url: string, params: Record<string, string>): WebhookRequest => {
    const body = new URLSearchParams(params).toString();
    const nonce = String(randomInt(10 ** 9, 10 ** 10)) + String(randomInt(10 ** 9, 10 ** 10));
    const sig = computePlivoSignatureV3(authToken, "POST", url, parseForm(body), nonce);
    return {
      url, method: "POST", body,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-plivo-signature-v3": sig, "x-plivo-signature-v3-nonce": nonce },
    };
  };

  return {
    ...server, authId, authToken, messages,
    sentTo: (phone) => messages.filter((m) => digits(m.dst) === digits(phone)).length,
    statusCallback(uuid, status, o = {}) {
      const m = messages.find((x) => x.uuid === uuid);
      if (!m?.url) throw new Error(`fake plivo: no message ${uuid} with a callback url`);
      Object.assign(m, { status, errorCode: o.errorCode ?? "" });
      const t = plivoTime(now());
      return signed(m.url, {
        From: digits(m.src), To: digits(m.dst), Type: "sms", Status: status, MessageUUID: uuid, ParentMessageUUID: uuid,
        PartInfo: "1 of 1", TotalRate: "0.0035", TotalAmount: "0.0035", Units: "1", MCC: "310", MNC: "260",
        ErrorCode: o.errorCode ?? "", Sequence: "2", MessageTime: plivoTime(m.created), QueuedTime: plivoTime(m.created),
        SentTime: t, DeliveryReportTime: t,
      });
    },
    inbound(url, sms) {
      return signed(url, {
        From: digits(sms.from), To: digits(sms.to), Type: "sms", Text: sms.body, MessageUUID: randomUUID(),
        TotalRate: "0", TotalAmount: "0", Units: "1", MessageIntent: "", PowerpackUUID: "",
      });
    },
  };
}

/** "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, as Plivo writes times. */
function plivoTime(t: number): string {
  return new Date(t).toISOString().replace("T", " ").replace("Z", "000");
}
