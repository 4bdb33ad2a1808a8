/**
 * The `twilio` driver: Programmable Messaging over Twilio's 2010-04-01 REST API.
 * Send: https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 * Webhooks: https://www.twilio.com/docs/messaging/guides/webhook-request (inbound) and
 *           https://www.twilio.com/docs/messaging/guides/track-outbound-message-status (status callbacks)
 * Errors: https://www.twilio.com/docs/api/errors
 */
import { DriverError, type DriverAccount, type DriverField, type DriverHost, type OutboundSms, type ProviderStatus, type SendResult, type SmsDriver, type StatusUpdate, type WebhookEvent } from "./driver.ts";
import { baseUrlField, baseUrlOf, checkFields, configString, formValue, parseForm } from "./fields.ts";
import { basicAuth, requestProvider } from "./http.ts";
import { verifyTwilioSignature } from "./twilio-signature.ts";

export const TWILIO_DEFAULT_BASE_URL = "https://api.twilio.com";

const FIELDS: DriverField[] = [
  { name: "accountSid", label: "Account SID", secret: false, required: true, type: "string", help: "Starts with AC" },
  { name: "authToken", label: "Auth token", secret: true, required: true, type: "string" },
  baseUrlField(TWILIO_DEFAULT_BASE_URL),
];

/** Twilio's message statuses → ours; `receiving`/`received` are inbound messages, not reports. */
const STATUS: Record<string, ProviderStatus> = {
  accepted: "queued", scheduled: "queued", queued: "queued", sending: "queued",
  sent: "sent",
  delivered: "delivered", read: "delivered",
  undelivered: "undelivered", partially_delivered: "undelivered",
  failed: "failed", canceled: "failed",
};

/** Twilio REST error codes whose meaning is not simply "this message was rejected". */
const ERROR_KINDS: Record<number, DriverError["kind"]> = {
  21610: "opted_out", // Attempt to send to unsubscribed recipient
  20003: "config", // Authenticate
  20005: "config", // Account not active
  20404: "config", // The requested resource was not found (wrong Account SID)
  21212: "config", // Invalid 'From' number
  21606: "config", // The 'From' number is not a valid, SMS-capable number for this account
  21659: "config", // 'From' is not a Twilio phone number or short code
  20429: "throttled", // Too many requests
  14107: "throttled", // SMS send rate limit exceeded
  20500: "transient", // Internal server error
  20503: "transient", // Service unavailable
};

/**
 * Look-ups reach back this much before `since`: Twilio stamps `date_created` to the second and its clock is not
 * ours, and missing a message here would make reconciliation send it twice. An older extra match is harmless.
 */
export const LOOKUP_SLACK_MS = 5 * 60_000;

type Creds = { sid: string; token: string; base: string; auth: string };
type Found = Array<StatusUpdate & { to: string; body?: string }>;

function credsOf(account: DriverAccount): Creds {
  const sid = configString(account.config, "accountSid");
  const token = configString(account.config, "authToken");
  return { sid, token, base: baseUrlOf(account.config, TWILIO_DEFAULT_BASE_URL), auth: basicAuth(sid, token) };
}

/** The webhook answer's body: one immutable Blob shared by every response (its type is the Content-Type). */
const EMPTY_TWIML = new Blob(['<?xml version="1.0" encoding="UTF-8"?><Response/>'], { type: "text/xml" });

/** Creates the Twilio driver. */
export function createTwilioDriver(host: DriverHost): SmsDriver {
  return {
    name: "twilio",
    label: "Twilio",
    fields: FIELDS,
    validateConfig(config) {
      const bad = checkFields(FIELDS, config);
      if (bad) return bad;
      if (!configString(config, "accountSid").startsWith("AC")) return "accountSid must start with AC";
      return undefined;
    },
    send: (account, sms, signal) => sendTwilio(host, account, sms, signal),
    verifyWebhook: (account, req) => verifyTwilioSignature(configString(account.config, "authToken"), req),
    parseWebhook: (_account, req) => parseTwilioWebhook(req.body),
    webhookReply: () => new Response(EMPTY_TWIML),
    lookup: (account, query, signal) => lookupTwilio(host, account, query, signal),
  };
}

/** POSTs one message; returns its SM… sid. @throws DriverError */
async function sendTwilio(host: DriverHost, account: DriverAccount, sms: OutboundSms, signal: AbortSignal): Promise<SendResult> {
  const c = credsOf(account);
  const form = new URLSearchParams({ To: sms.to, From: sms.from, Body: sms.body, StatusCallback: account.webhookUrl });
  const { json } = await requestProvider({
    driver: "twilio", method: "POST", log: host.log, now: host.clock.now, secrets: [c.token],
    url: `${c.base}/2010-04-01/Accounts/${encodeURIComponent(c.sid)}/Messages.json`,
    headers: { authorization: c.auth, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
    classify: classifyTwilioError,
  }, signal);
  const sid = (json as { sid?: unknown }).sid;
  if (typeof sid !== "string" || sid === "") throw new DriverError("unknown_outcome", "twilio: 2xx answer without a message sid");
  return { providerId: sid };
}

/** Reads the Messages list filtered by To, newest first, back to `since` (minus slack); at most 5 pages. @throws DriverError */
async function lookupTwilio(host: DriverHost, account: DriverAccount, query: { to: string; since?: number }, signal: AbortSignal): Promise<Found> {
  const c = credsOf(account);
  const since = query.since === undefined ? undefined : query.since - LOOKUP_SLACK_MS;
  const out: Found = [];
  let path: string | undefined = `/2010-04-01/Accounts/${encodeURIComponent(c.sid)}/Messages.json?${new URLSearchParams({ To: query.to, PageSize: "50" })}`;
  for (let page = 0; path && page < 5; page++) {
    const { json } = await requestProvider({
      driver: "twilio", method: "GET", url: c.base + path, idempotent: true, log: host.log, now: host.clock.now, secrets: [c.token],
      headers: { authorization: c.auth, accept: "application/json" }, classify: classifyTwilioError,
    }, signal);
    const list = json as { messages?: unknown; next_page_uri?: unknown };
    if (!Array.isArray(list.messages)) throw new DriverError("transient", "twilio: message list without messages");
    let older = false;
    for (const m of list.messages as TwilioMessage[]) {
      if (since !== undefined && Date.parse(m.date_created ?? "") < since) older = true;
      else if (m.direction?.startsWith("outbound")) pushMessage(out, m);
    }
    path = !older && typeof list.next_page_uri === "string" ? list.next_page_uri : undefined;
  }
  return out;
}

/** Maps a Twilio REST error body `{code, message, more_info, status}` to a DriverError; undefined = by HTTP status. */
export function classifyTwilioError(status: number, body: unknown): DriverError | undefined {
  const b = (body ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof b.code === "number" ? b.code : Number(b.code);
  if (!Number.isFinite(code)) return undefined;
  const text = typeof b.message === "string" ? b.message : `HTTP ${status}`;
  const kind = ERROR_KINDS[code] ?? (status === 401 || status === 403 ? "config" : "rejected");
  return new DriverError(kind, `Twilio error ${code}: ${text}`, String(code));
}

/** One entry of the Messages list (https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources). */
interface TwilioMessage {
  sid: string; to: string; body?: string; status: string; direction?: string;
  error_code?: number | null; error_message?: string | null; date_created?: string; date_updated?: string;
}

function pushMessage(out: Found, m: TwilioMessage): void {
  const status = STATUS[m.status];
  if (!status || typeof m.sid !== "string") return;
  const code = m.error_code == null ? undefined : String(m.error_code);
  const at = Date.parse(m.date_updated ?? "");
  out.push({
    type: "status", providerId: m.sid, status, to: m.to, body: m.body,
    errorCode: code, errorMessage: m.error_message ?? undefined, optOut: code === "21610" || undefined,
    at: Number.isNaN(at) ? undefined : at,
  });
}

/*
 * Status callback (form POST), from Twilio's docs:
 *   SmsSid=SM1d4a0f2c0e0e4c5b8a3a0d4e2b9b1234&SmsStatus=undelivered&MessageStatus=undelivered
 *   &To=%2B15558675310&MessagingServiceSid=MG1234…&MessageSid=SM1d4a0f2c0e0e4c5b8a3a0d4e2b9b1234
 *   &AccountSid=AC1234…&From=%2B15017122661&ApiVersion=2010-04-01&ErrorCode=30003
 * Inbound message (form POST):
 *   ToCountry=US&ToState=CA&SmsMessageSid=SM…&NumMedia=0&ToCity=SAN+FRANCISCO&FromZip=94105&SmsSid=SM…
 *   &FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO&Body=STOP&FromCountry=US&To=%2B15557654321
 *   &ToZip=94105&NumSegments=1&MessageSid=SM…&AccountSid=AC…&From=%2B15551234567&ApiVersion=2010-04-01
 * Inbound is told apart by its status `received` (or, if no status is given at all, by carrying a Body).
 */
function parseTwilioWebhook(body: string): WebhookEvent[] {
  const form = parseForm(body);
  const sid = formValue(form, "MessageSid") ?? formValue(form, "SmsMessageSid") ?? formValue(form, "SmsSid");
  if (!sid) throw new Error("twilio webhook without MessageSid");
  const raw = formValue(form, "MessageStatus") ?? formValue(form, "SmsStatus");
  if (raw === "received" || (raw === undefined && form.has("Body"))) {
    const from = formValue(form, "From");
    const to = formValue(form, "To");
    if (!from || !to) throw new Error("twilio inbound without From/To");
    return [{ type: "inbound", providerId: sid, from, to, body: form.get("Body")?.[0] ?? "" }];
  }
  if (raw === undefined) throw new Error("twilio webhook without MessageStatus");
  const status = STATUS[raw];
  if (!status) return []; // receiving and future statuses carry nothing for us
  const errorCode = formValue(form, "ErrorCode");
  const update: StatusUpdate = { type: "status", providerId: sid, status };
  if (errorCode && errorCode !== "0") update.errorCode = errorCode;
  if (errorCode === "21610") update.optOut = true;
  return [update];
}
