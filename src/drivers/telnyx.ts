/**
 * The `telnyx` driver: Telnyx Messaging API v2.
 * Send: https://developers.telnyx.com/api/messaging/send-message  (POST {baseUrl}/v2/messages, Bearer key)
 * Errors: https://developers.telnyx.com/development/api-fundamentals/api-errors and
 *         https://developers.telnyx.com/docs/messaging/messages/error-codes
 * Webhooks: https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks — JSON events signed with
 *   Ed25519 over `${telnyx-timestamp}|${raw body}`, signature base64 in `telnyx-signature-ed25519`.
 * Lookup: the Messaging API reads a message by id only (GET /v2/messages/{id}: the id a lost answer never gave
 *   us); the Detail Record Search lists message detail records (MDRs) by recipient:
 *   https://developers.telnyx.com/api/detail-records/search-detail-records (GET {baseUrl}/v2/detail_records).
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from "node:crypto";
import { DriverError, type DriverAccount, type DriverErrorKind, type DriverField, type DriverHost, type ProviderStatus, type SmsDriver, type StatusUpdate, type VerifyResult, type WebhookEvent, type WebhookRequest } from "./driver.ts";
import { baseUrlField, baseUrlOf, checkFields, configString } from "./fields.ts";
import { requestProvider } from "./http.ts";

export const TELNYX_DEFAULT_BASE_URL = "https://api.telnyx.com";
/** Webhooks older or newer than this (by `telnyx-timestamp`) are refused as replays. */
export const TELNYX_TOLERANCE_MS = 300_000;

const FIELDS: DriverField[] = [
  { name: "apiKey", label: "API key (v2)", secret: true, required: true, type: "string", help: "Starts with KEY" },
  { name: "publicKey", label: "Webhook public key", secret: false, required: true, type: "string", help: "Mission Control → Keys & Credentials → Public Key (base64 Ed25519)" },
  { name: "messagingProfileId", label: "Messaging profile ID", secret: false, required: false, type: "string" },
  baseUrlField(TELNYX_DEFAULT_BASE_URL),
];

/** Telnyx error codes whose meaning is not "this message was rejected". */
const ERROR_KINDS: Record<string, DriverErrorKind> = {
  "40300": "opted_out", // Blocked due to STOP message
  "10009": "config", // Authentication failed
  "10010": "config", // Authorization failed
  "40305": "config", // Invalid 'from' address (not a number of this account/profile)
  "40013": "config", // Invalid source number
  "10011": "throttled", // Too many requests
  "40011": "throttled", // Rate limit exceeded
  "10007": "transient", // Unexpected error
  "10008": "transient", // Request timeout
  "40006": "transient", // Recipient server unavailable
};

/**
 * A Telnyx message status → ours. Webhooks (`to[].status` in message.sent / message.finalized) and message detail
 * records (`status`, the final one) use different words; `delivered` is in both. An MDR's timeouts say Telnyx does
 * not know the outcome either: `sent`, which a later report may still advance.
 */
const STATUS: Record<string, ProviderStatus> = {
  queued: "queued", sending: "queued", sent: "sent", delivery_unconfirmed: "sent",
  delivered: "delivered", delivery_failed: "undelivered", expired: "undelivered", sending_failed: "failed",
  // MDR only
  dlr_unconfirmed: "sent", dlr_timeout: "sent", gw_timeout: "sent", gw_reject: "failed", failed: "failed",
};

// DER SubjectPublicKeyInfo header for a raw 32-byte Ed25519 key (RFC 8410).
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

/** Turns the base64 key from Mission Control into a KeyObject, or undefined when it is not 32 bytes of base64. */
export function telnyxPublicKey(base64: string): KeyObject | undefined {
  const raw = Buffer.from(base64, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== base64.trim()) return undefined;
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw] as Uint8Array[]), format: "der", type: "spki" });
}

/** Checks the Ed25519 signature and the timestamp window of a Telnyx webhook. */
export function verifyTelnyxWebhook(publicKeyB64: string, req: WebhookRequest, now: number): VerifyResult {
  const key = telnyxPublicKey(publicKeyB64);
  if (!key) return { ok: false, reason: "publicKey is not a base64 Ed25519 key" };
  const sig = req.headers["telnyx-signature-ed25519"];
  const ts = req.headers["telnyx-timestamp"];
  if (!sig || !ts) return { ok: false, reason: "missing telnyx-signature-ed25519 or telnyx-timestamp" };
  if (!/^\d+$/.test(ts)) return { ok: false, reason: "malformed telnyx-timestamp" };
  if (Math.abs(now - Number(ts) * 1000) > TELNYX_TOLERANCE_MS) return { ok: false, reason: "stale timestamp (possible replay)" };
  const signature = Buffer.from(sig, "base64");
  if (signature.length !== 64) return { ok: false, reason: "malformed signature" };
  const ok = verifySignature(null, Buffer.from(`${ts}|${req.body}`), key, signature as Uint8Array);
  return ok ? { ok: true } : { ok: false, reason: "signature mismatch" };
}

const pathOf = (url: string) => {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
};

/**
 * The Ed25519 signature covers the body, not the URL, and one Telnyx account (one public key) may feed several
 * Pombo accounts. So a signed event must have arrived on this account's webhook path, and the URL Telnyx says it
 * delivered it to (`meta.delivered_to`, inside the signed body) must be that path too: an event signed for
 * account A cannot be replayed onto account B.
 */
function checkDestination(webhookUrl: string, req: WebhookRequest): VerifyResult {
  const ours = pathOf(webhookUrl);
  if (pathOf(req.url) !== ours) return { ok: false, reason: "webhook arrived on another account's URL" };
  let deliveredTo: unknown;
  try {
    deliveredTo = (JSON.parse(req.body) as { meta?: { delivered_to?: unknown } }).meta?.delivered_to;
  } catch {
    return { ok: false, reason: "unreadable body" };
  }
  if (typeof deliveredTo === "string" && pathOf(deliveredTo) !== ours) return { ok: false, reason: "event was signed for another webhook URL" };
  return { ok: true };
}

/** Creates the Telnyx driver. */
export function createTelnyxDriver(host: DriverHost): SmsDriver {
  return {
    name: "telnyx",
    label: "Telnyx",
    fields: FIELDS,
    validateConfig(config) {
      const bad = checkFields(FIELDS, config);
      if (bad) return bad;
      return telnyxPublicKey(configString(config, "publicKey")) ? undefined : "publicKey must be the base64 Ed25519 public key (32 bytes)";
    },

    async send(account, sms, signal) {
      const key = configString(account.config, "apiKey");
      const profile = configString(account.config, "messagingProfileId");
      const body = { from: sms.from, to: sms.to, text: sms.body, webhook_url: account.webhookUrl, use_profile_webhooks: false, ...(profile ? { messaging_profile_id: profile } : {}) };
      const { json } = await requestProvider({
        driver: "telnyx", method: "POST", url: `${baseUrlOf(account.config, TELNYX_DEFAULT_BASE_URL)}/v2/messages`, log: host.log, now: host.clock.now, secrets: [key],
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body), classify: classifyTelnyxError,
      }, signal);
      const id = (json as { data?: { id?: unknown } }).data?.id;
      if (typeof id !== "string" || !id) throw new DriverError("unknown_outcome", "telnyx: 2xx answer without data.id");
      return { providerId: id };
    },

    verifyWebhook(account, req) {
      const signed = verifyTelnyxWebhook(configString(account.config, "publicKey"), req, host.clock.now());
      return signed.ok ? checkDestination(account.webhookUrl, req) : signed;
    },
    parseWebhook: (_account, req) => parseTelnyxWebhook(req.body),
    webhookReply: () => new Response(null, { status: 204 }),
    lookup: (account, query, signal) => lookupTelnyx(host, account, query, signal),
  };
}

/*
 * Error answer (docs): {"errors":[{"code":"10009","title":"Authentication failed","detail":"…","source":{"pointer":"/"}}]}
 * Send answer: {"data":{"record_type":"message","id":"40317159-…","type":"SMS","to":[{"phone_number":"+18665550001","status":"queued"}],…}}
 */
/** Maps a Telnyx error body to a DriverError; undefined = by HTTP status. */
export function classifyTelnyxError(status: number, body: unknown): DriverError | undefined {
  const first = (body as { errors?: Array<{ code?: unknown; title?: unknown }> } | undefined)?.errors?.[0];
  if (!first || first.code === undefined) return undefined;
  const code = String(first.code);
  const kind = ERROR_KINDS[code] ?? (status === 401 || status === 403 ? "config" : "rejected");
  return new DriverError(kind, `Telnyx error ${code}: ${typeof first.title === "string" ? first.title : `HTTP ${status}`}`, code);
}

interface TelnyxPayload {
  id?: string; direction?: string; text?: string; completed_at?: string | null; sent_at?: string | null; received_at?: string;
  from?: { phone_number?: string }; to?: Array<{ phone_number?: string; status?: string }>;
  errors?: Array<{ code?: string | number; title?: string; detail?: string }>;
}

/*
 * message.finalized (docs sample, trimmed):
 *   {"data":{"event_type":"message.finalized","id":"4ee8c3a6-…","occurred_at":"2019-12-09T20:16:07.588+00:00",
 *    "payload":{"completed_at":"2019-12-09T20:16:07.588+00:00","direction":"outbound","errors":[],
 *     "from":{"carrier":"TELNYX LLC","line_type":"VoIP","phone_number":"+13125550001"},"id":"ac012cbf-…","parts":1,
 *     "to":[{"carrier":"T-MOBILE USA, INC.","line_type":"Wireless","phone_number":"+13125550002","status":"delivered"}],
 *     "type":"SMS","record_type":"message"},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://…"}}
 * message.received: same envelope, payload.direction "inbound", from.phone_number, to[0].phone_number, text.
 */
export function parseTelnyxWebhook(raw: string): WebhookEvent[] {
  const data = (JSON.parse(raw) as { data?: { event_type?: string; occurred_at?: string; payload?: TelnyxPayload } }).data;
  const p = data?.payload;
  if (!data?.event_type || !p?.id) throw new Error("telnyx webhook without data.event_type / payload.id");
  const at = Date.parse(data.occurred_at ?? "");
  const stamp = Number.isNaN(at) ? {} : { at };
  if (data.event_type === "message.received") {
    const from = p.from?.phone_number;
    const to = p.to?.[0]?.phone_number;
    if (!from || !to) throw new Error("telnyx inbound without from/to");
    return [{ type: "inbound", providerId: p.id, from, to, body: p.text ?? "", ...stamp }];
  }
  if (data.event_type !== "message.sent" && data.event_type !== "message.finalized") return [];
  const status = STATUS[p.to?.[0]?.status ?? ""];
  if (!status) return [];
  const err = p.errors?.[0];
  const code = err?.code !== undefined ? String(err.code) : undefined;
  return [{
    type: "status", providerId: p.id, status, ...stamp,
    ...(code ? { errorCode: code } : {}),
    ...(err?.title || err?.detail ? { errorMessage: err.title ?? err.detail } : {}),
    ...(code === "40300" ? { optOut: true } : {}),
  }];
}

/** Look-ups reach back this much before `since` (clock skew between us and Telnyx): see twilio.ts. */
export const LOOKUP_SLACK_MS = 5 * 60_000;
/** MDRs per page (the API's maximum) and pages read, newest first, before giving up. */
const PAGE_SIZE = 50;
const MAX_PAGES = 5;

type Found = Array<StatusUpdate & { to: string; body?: string }>;

/** One message detail record, as the search returns it (fields we read). */
interface TelnyxMdr {
  uuid?: string; cld?: string; direction?: string; status?: string; errors?: string[];
  created_at?: string; completed_at?: string; updated_at?: string;
}

/**
 * Lists outbound MDRs to `to`, newest first, back to `since` minus slack; more than MAX_PAGES pages of them fails
 * rather than settle from part of them (missing a message would make reconciliation send it twice). The search's
 * documented date filter takes a day (`filter[created_at][gte]=2021-06-22`, in a zone it does not state), so we ask
 * from the day before and drop older records ourselves: a message to the same number from earlier that day must
 * not pass for this one. MDRs carry no text, so `body` stays undefined; one without a final status yet is still
 * found (Telnyx has the message): `sent`.
 * @throws DriverError
 */
async function lookupTelnyx(host: DriverHost, account: DriverAccount, query: { to: string; since?: number }, signal: AbortSignal): Promise<Found> {
  const key = configString(account.config, "apiKey");
  const since = query.since === undefined ? undefined : query.since - LOOKUP_SLACK_MS;
  const params = new URLSearchParams({ "filter[record_type]": "messaging", "filter[direction]": "outbound", "filter[cld]": query.to, sort: "-created_at", "page[size]": String(PAGE_SIZE) });
  if (since !== undefined) params.set("filter[created_at][gte]", new Date(since - 24 * 3600_000).toISOString().slice(0, 10));
  const out: Found = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    params.set("page[number]", String(page));
    const { json } = await requestProvider({
      driver: "telnyx", method: "GET", url: `${baseUrlOf(account.config, TELNYX_DEFAULT_BASE_URL)}/v2/detail_records?${params}`, idempotent: true,
      log: host.log, now: host.clock.now, secrets: [key], headers: { authorization: `Bearer ${key}`, accept: "application/json" }, classify: classifyTelnyxError,
    }, signal);
    const body = json as { data?: unknown; meta?: { total_pages?: unknown } };
    if (!Array.isArray(body.data)) throw new DriverError("transient", "telnyx: detail record search answer without data");
    let older = false;
    for (const r of body.data as TelnyxMdr[]) {
      if (since !== undefined && Date.parse(r.created_at ?? "") < since) older = true;
      else pushMdr(out, r, query.to);
    }
    if (older || typeof body.meta?.total_pages !== "number" || page >= body.meta.total_pages) return out;
  }
  throw new DriverError("transient", `telnyx: more than ${MAX_PAGES} pages of detail records to ${query.to}; not settling from part of them`);
}

/*
 * An MDR (docs sample, trimmed): {"record_type":"message_detail_record","uuid":"3ca7bd3d-…","direction":"outbound",
 *   "cld":"+1555123456","cli":"+1555123456","status":"delivered","errors":["40001"],"parts":2,
 *   "created_at":"2020-07-01T00:00:00Z","sent_at":"…","completed_at":"2020-07-01T00:00:00Z","updated_at":"…"}
 * `uuid` is the message id the send answered with (`data.id`).
 */
function pushMdr(out: Found, r: TelnyxMdr, to: string): void {
  if (typeof r.uuid !== "string" || !r.uuid || (r.direction !== undefined && r.direction !== "outbound")) return;
  const update: StatusUpdate & { to: string } = { type: "status", providerId: r.uuid, status: STATUS[r.status ?? ""] ?? "sent", to: r.cld ?? to };
  const code = r.errors?.[0] === undefined ? undefined : String(r.errors[0]);
  if (code !== undefined) update.errorCode = code;
  if (code === "40300") update.optOut = true;
  const at = Date.parse(r.completed_at ?? r.updated_at ?? r.created_at ?? "");
  if (!Number.isNaN(at)) update.at = at;
  out.push(update);
}
