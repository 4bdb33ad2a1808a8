/**
 * The `plivo` driver: Plivo's Message API.
 * Send: https://www.plivo.com/docs/messaging/api/message/send-a-message
 * Status callbacks: https://www.plivo.com/docs/messaging/api/message/message-status-callbacks
 * Inbound: https://www.plivo.com/docs/messaging/api/message/receive-a-message (POSTed to the number's message_url)
 * Errors: https://www.plivo.com/docs/messaging/troubleshooting/error-codes
 * Plivo writes numbers without the leading "+" in webhooks and MDRs; events carry them back in E.164.
 */
import { DriverError, type DriverAccount, type DriverField, type DriverHost, type OutboundSms, type ProviderStatus, type SendResult, type SmsDriver, type StatusUpdate, type WebhookEvent } from "./driver.ts";
import { baseUrlField, baseUrlOf, checkFields, configString, formValue, parseForm } from "./fields.ts";
import { basicAuth, requestProvider } from "./http.ts";
import { verifyPlivoSignatureV3 } from "./plivo-signature.ts";

export const PLIVO_DEFAULT_BASE_URL = "https://api.plivo.com";

const FIELDS: DriverField[] = [
  { name: "authId", label: "Auth ID", secret: false, required: true, type: "string" },
  { name: "authToken", label: "Auth token", secret: true, required: true, type: "string" },
  baseUrlField(PLIVO_DEFAULT_BASE_URL),
];

const STATUS: Record<string, ProviderStatus> = {
  queued: "queued", sent: "sent", delivered: "delivered", read: "delivered",
  undelivered: "undelivered", failed: "failed", rejected: "failed",
};

/** Plivo error 200: "Source number blocked by STOP from destination number" — the recipient opted out. */
const OPT_OUT_CODE = "200";

/** Look-ups reach back this much before `since` (clock skew, second-resolution filters): see twilio.ts. */
export const LOOKUP_SLACK_MS = 5 * 60_000;

type Creds = { id: string; token: string; base: string; auth: string };
type Found = Array<StatusUpdate & { to: string; body?: string }>;

function credsOf(account: DriverAccount): Creds {
  const id = configString(account.config, "authId");
  const token = configString(account.config, "authToken");
  return { id, token, base: baseUrlOf(account.config, PLIVO_DEFAULT_BASE_URL), auth: basicAuth(id, token) };
}

/** The webhook answer's body: one immutable Blob shared by every response (its type is the Content-Type). */
const EMPTY_PLIVO_XML = new Blob(['<?xml version="1.0" encoding="utf-8"?><Response></Response>'], { type: "application/xml" });

/** Creates the Plivo driver. */
export function createPlivoDriver(host: DriverHost): SmsDriver {
  return {
    name: "plivo",
    label: "Plivo",
    fields: FIELDS,
    validateConfig: (config) => checkFields(FIELDS, config),
    send: (account, sms, signal) => sendPlivo(host, account, sms, signal),
    verifyWebhook: (account, req) => verifyPlivoSignatureV3(configString(account.config, "authToken"), req),
    parseWebhook: (_account, req) => parsePlivoWebhook(req.method.toUpperCase() === "GET" ? (req.url.split("?")[1] ?? "") : req.body),
    // An empty Plivo XML document: on a message_url Plivo reads the answer as instructions (none here).
    webhookReply: () => new Response(EMPTY_PLIVO_XML),
    lookup: (account, query, signal) => lookupPlivo(host, account, query, signal),
  };
}

/** POSTs one message (JSON); returns the first message_uuid. @throws DriverError */
async function sendPlivo(host: DriverHost, account: DriverAccount, sms: OutboundSms, signal: AbortSignal): Promise<SendResult> {
  const c = credsOf(account);
  const { json } = await requestProvider({
    driver: "plivo", method: "POST", log: host.log, now: host.clock.now, secrets: [c.token],
    url: `${c.base}/v1/Account/${encodeURIComponent(c.id)}/Message/`,
    headers: { authorization: c.auth, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ src: sms.from, dst: sms.to, text: sms.body, url: account.webhookUrl, method: "POST" }),
    classify: classifyPlivoError,
  }, signal);
  // {"api_id":"4e1f954c-baf3-11ec-bafe-0242ac110003","message":"message(s) queued","message_uuid":["4e2e1d0c-…"]}
  const ids = (json as { message_uuid?: unknown }).message_uuid;
  const id = Array.isArray(ids) ? ids[0] : undefined;
  if (typeof id !== "string" || id === "") throw new DriverError("unknown_outcome", "plivo: 2xx answer without message_uuid");
  return { providerId: id };
}

/**
 * Reads outbound MDRs to `to` (first page of 20, newest first). MDRs carry no text, so `body` stays undefined.
 * @throws DriverError
 */
async function lookupPlivo(host: DriverHost, account: DriverAccount, query: { to: string; since?: number }, signal: AbortSignal): Promise<Found> {
  const c = credsOf(account);
  const params = new URLSearchParams({ to_number: query.to, message_direction: "outbound", limit: "20" });
  if (query.since !== undefined) params.set("message_time__gte", plivoTime(query.since - LOOKUP_SLACK_MS));
  const { json } = await requestProvider({
    driver: "plivo", method: "GET", idempotent: true, log: host.log, now: host.clock.now, secrets: [c.token],
    url: `${c.base}/v1/Account/${encodeURIComponent(c.id)}/Message/?${params}`,
    headers: { authorization: c.auth, accept: "application/json" }, classify: classifyPlivoError,
  }, signal);
  const objects = (json as { objects?: unknown }).objects;
  if (!Array.isArray(objects)) throw new DriverError("transient", "plivo: message list without objects");
  return (objects as PlivoMdr[]).flatMap((m) => {
    const status = STATUS[m.message_state];
    if (!status || typeof m.message_uuid !== "string") return [];
    const code = m.error_code ? String(m.error_code) : undefined;
    const update: StatusUpdate & { to: string } = { type: "status", providerId: m.message_uuid, status, to: e164(m.to_number) };
    if (code && code !== "0") update.errorCode = code;
    if (code === OPT_OUT_CODE) update.optOut = true;
    const at = parsePlivoTime(m.message_time);
    if (at !== undefined) update.at = at;
    return [update];
  });
}

/** Maps a Plivo API error `{"api_id": "...", "error": "..."}` to a DriverError; undefined = by HTTP status. */
export function classifyPlivoError(status: number, body: unknown): DriverError | undefined {
  const raw = (body as { error?: unknown } | undefined)?.error;
  const text = typeof raw === "string" ? raw : raw ? JSON.stringify(raw) : "";
  if (!text) return undefined;
  if (status === 401 || status === 403 || status === 404) return new DriverError("config", `Plivo: ${text}`, String(status));
  if (/insufficient|credit|suspended|\bsrc\b|source/i.test(text)) return new DriverError("config", `Plivo: ${text}`, String(status));
  return new DriverError("rejected", `Plivo: ${text}`, String(status));
}

/** One message detail record of the list API (https://www.plivo.com/docs/messaging/api/message/list-all-messages). */
interface PlivoMdr {
  message_uuid: string; message_state: string; to_number: string; error_code?: string | number | null; message_time?: string;
}

function e164(n: string | undefined): string {
  if (!n) return "";
  return /^\d+$/.test(n) ? "+" + n : n;
}

/** Plivo's "YYYY-MM-DD HH:MM:SS[.ffffff][+hh:mm]" (UTC when no offset) → epoch ms. */
export function parsePlivoTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (!m) return undefined;
  const ms = (m[3] ?? "").padEnd(3, "0").slice(0, 3);
  const t = Date.parse(`${m[1]}T${m[2]}.${ms}${m[4] ?? "Z"}`);
  return Number.isNaN(t) ? undefined : t;
}

function plivoTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace("T", " ");
}

/*
 * Status callback (form POST), from Plivo's docs:
 *   From=14155551212&To=14155552323&Type=sms&Status=undelivered&MessageUUID=db3ce55a-7f1d-11e1-8ea7-1231380bc196
 *   &ParentMessageUUID=db3ce55a-7f1d-11e1-8ea7-1231380bc196&PartInfo=1+of+1&TotalRate=0.0050&TotalAmount=0.0050
 *   &Units=1&MCC=310&MNC=260&ErrorCode=200&Sequence=3&MessageTime=2024-06-10+07%3A05%3A39.480468
 *   &DeliveryReportTime=2024-06-10+07%3A05%3A41.112233
 * Inbound message (form POST to the number's application):
 *   From=14155551212&To=14155552323&Type=sms&Text=STOP&MessageUUID=5b0ca4e2-…&TotalRate=0&TotalAmount=0&Units=1
 * Inbound carries `Text` and no `Status`; status callbacks always carry `Status`.
 */
function parsePlivoWebhook(body: string): WebhookEvent[] {
  const form = parseForm(body);
  const id = formValue(form, "MessageUUID");
  if (!id) throw new Error("plivo webhook without MessageUUID");
  const raw = formValue(form, "Status");
  if (raw === undefined) {
    const from = formValue(form, "From");
    const to = formValue(form, "To");
    if (!from || !to || !form.has("Text")) throw new Error("plivo webhook with neither Status nor From/To/Text");
    return [{ type: "inbound", providerId: id, from: e164(from), to: e164(to), body: form.get("Text")?.[0] ?? "", at: parsePlivoTime(formValue(form, "MessageTime")) }];
  }
  const status = STATUS[raw];
  if (!status) return []; // "received" and future states carry nothing for us
  const update: StatusUpdate = { type: "status", providerId: id, status };
  const code = formValue(form, "ErrorCode");
  if (code && code !== "0" && code !== "000") update.errorCode = code;
  if (code === OPT_OUT_CODE) update.optOut = true;
  const at = parsePlivoTime(formValue(form, "DeliveryReportTime") ?? formValue(form, "SentTime") ?? formValue(form, "MessageTime"));
  if (at !== undefined) update.at = at;
  return [update];
}
