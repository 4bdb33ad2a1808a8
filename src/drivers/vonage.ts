/**
 * The `vonage` driver: Vonage's (ex-Nexmo) SMS API.
 * Send: https://developer.vonage.com/en/api/sms#send-an-sms  (POST {baseUrl}/sms/json)
 * Errors: https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms (response `status` codes)
 * Webhooks: https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts and .../inbound-sms,
 *           signed as described in vonage-signature.ts. They come as GET query, POST form or POST JSON.
 * Lookup: the Reports API's synchronous records search, https://developer.vonage.com/en/api/reports#get-records
 *         (GET {api.nexmo.com}/v2/reports/records, basic auth with the API key and secret).
 */
import { DriverError, type DriverAccount, type DriverField, type DriverHost, type ProviderStatus, type SmsDriver, type StatusUpdate, type WebhookEvent, type WebhookRequest } from "./driver.ts";
import { baseUrlField, baseUrlOf, checkFields, configString } from "./fields.ts";
import { basicAuth, redact, requestProvider } from "./http.ts";
import { verifyVonageParams } from "./vonage-signature.ts";

export const VONAGE_DEFAULT_BASE_URL = "https://rest.nexmo.com";
/** The Reports API lives on another host than the SMS API; a configured `baseUrl` (a proxy, a fake) serves both. */
export const VONAGE_REPORTS_DEFAULT_BASE_URL = "https://api.nexmo.com";

const FIELDS: DriverField[] = [
  { name: "apiKey", label: "API key", secret: false, required: true, type: "string" },
  { name: "apiSecret", label: "API secret", secret: true, required: true, type: "string" },
  { name: "signatureSecret", label: "Signature secret", secret: true, required: true, type: "string", help: "Dashboard → Settings: signed webhooks (any algorithm)" },
  baseUrlField(VONAGE_DEFAULT_BASE_URL),
];

/** SMS API response `status` codes that are not simply "this message was rejected". */
const SEND_KINDS: Record<string, DriverError["kind"]> = {
  "1": "throttled", // Throttled
  "10": "throttled", // Too many existing binds
  "5": "transient", // Internal error
  "7": "opted_out", // Number barred: the destination is on the blocked list (e.g. it replied STOP)
  "4": "config", // Invalid credentials
  "8": "config", // Partner account barred
  "9": "config", // Partner quota violation (no credit)
  "11": "config", // Account not enabled for HTTP
  "14": "config", // Invalid signature
  "15": "config", // Invalid sender address
  "23": "config", // Invalid callback URL
  "32": "config", // Signature and API secret disallowed
};

/**
 * An SMS status → ours: delivery receipts' `status` and the Reports API records' `status` use the same words.
 * `deleted` appears only in the Reports API's list of SMS statuses (the message was removed before delivery).
 */
const STATUS: Record<string, ProviderStatus> = {
  accepted: "sent", buffered: "sent", unknown: "sent",
  delivered: "delivered", expired: "undelivered", deleted: "undelivered", failed: "failed", rejected: "failed",
};

/** GSM 03.38 basic set and extension table; anything else needs `type=unicode`. */
const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà\f^{}\\[~\]|€]*$/;

const digitsOnly = (n: string) => n.replace(/^\+/, "");
const e164 = (n: string | undefined) => (n && /^\d+$/.test(n) ? `+${n}` : (n ?? ""));

/** Creates the Vonage driver. */
export function createVonageDriver(host: DriverHost): SmsDriver {
  return {
    name: "vonage",
    label: "Vonage (SMS API)",
    fields: FIELDS,
    validateConfig: (config) => checkFields(FIELDS, config),

    async send(account, sms, signal) {
      const c = account.config;
      const secrets = [configString(c, "apiSecret"), configString(c, "signatureSecret")];
      const form = new URLSearchParams({
        api_key: configString(c, "apiKey"), api_secret: secrets[0]!,
        from: digitsOnly(sms.from), to: digitsOnly(sms.to), text: sms.body, type: GSM7.test(sms.body) ? "text" : "unicode",
        callback: account.webhookUrl, "status-report-req": "1", "client-ref": sms.messageId,
      });
      const { json } = await requestProvider({
        driver: "vonage", method: "POST", url: `${baseUrlOf(c, VONAGE_DEFAULT_BASE_URL)}/sms/json`, log: host.log, now: host.clock.now, secrets,
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: form.toString(),
      }, signal);
      return { providerId: readSendResponse(json, secrets) };
    },

    verifyWebhook(account, req) {
      let params: Record<string, string>;
      try {
        params = readParams(req);
      } catch {
        return { ok: false, reason: "unreadable body" };
      }
      const signed = verifyVonageParams(params, configString(account.config, "signatureSecret"), host.clock.now());
      if (!signed.ok) return signed;
      // The sig covers the parameters, not the URL: also require this account's path and API key, so an event
      // signed for one Pombo account cannot be replayed onto another that shares the signature secret.
      if (new URL(req.url).pathname !== new URL(account.webhookUrl).pathname) return { ok: false, reason: "webhook arrived on another account's URL" };
      const key = params["api-key"];
      if (key !== undefined && key !== configString(account.config, "apiKey")) return { ok: false, reason: "webhook is for another API key" };
      return signed;
    },
    parseWebhook: (_account: DriverAccount, req) => parseVonageWebhook(readParams(req)),
    webhookReply: () => new Response(null, { status: 204 }),
    lookup: (account, query, signal) => lookupVonage(host, account, query, signal),
    // The Reports API is fed asynchronously ("usually within minutes", its guides say): a send it has not listed
    // yet is looked up again for this long before it counts as never taken.
    lookupLagMs: VONAGE_LOOKUP_LAG_MS,
  };
}

/** How long Vonage's Reports API may take to list a message it took (see `lookupLagMs` in driver.ts). */
const VONAGE_LOOKUP_LAG_MS = 15 * 60_000;

/*
 * A send answer (HTTP 200 even for most errors), from Vonage's docs:
 *   {"message-count":"1","messages":[{"to":"447700900000","message-id":"0A0000000123ABCD1","status":"0",
 *     "remaining-balance":"3.14159265","message-price":"0.03330000","network":"12345","client-ref":"msg_1"}]}
 *   {"message-count":"1","messages":[{"status":"2","error-text":"Missing to param"}]}
 * A long text is split by Vonage: one entry per part; the first part's id stands for the message.
 */
function readSendResponse(json: unknown, secrets: string[]): string {
  const messages = (json as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new DriverError("unknown_outcome", "vonage: 2xx answer without messages");
  const parts = messages as Array<Record<string, unknown>>;
  const first = parts[0]!;
  const status = String(first.status ?? "");
  if (status !== "0") {
    const text = redact(String(first["error-text"] ?? "no error text"), secrets);
    throw new DriverError(SEND_KINDS[status] ?? "rejected", `vonage: status ${status}: ${text}`, status);
  }
  const id = first["message-id"];
  if (typeof id !== "string" || !id) throw new DriverError("unknown_outcome", "vonage: accepted without a message-id");
  const failed = parts.find((p) => String(p.status) !== "0");
  if (failed) throw new DriverError("unknown_outcome", `vonage: part of a long message failed with status ${String(failed.status)}`, String(failed.status));
  return id;
}

/** The webhook's parameters as strings: the query string, overlaid by the form or JSON body of a POST. */
export function readParams(req: WebhookRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(req.url).searchParams) out[k] = v;
  if (req.method.toUpperCase() === "GET" || req.body.trim() === "") return out;
  const type = req.headers["content-type"] ?? "";
  if (type.includes("json") || req.body.trimStart().startsWith("{")) {
    const body = JSON.parse(req.body) as Record<string, unknown>;
    for (const [k, v] of Object.entries(body)) if (v !== null && v !== undefined) out[k] = typeof v === "object" ? JSON.stringify(v) : String(v);
  } else {
    for (const [k, v] of new URLSearchParams(req.body)) out[k] = v;
  }
  return out;
}

/** "2020-01-01 12:00:00" or "2020-01-01 12:00:00 +0000" (UTC) → epoch ms. */
function parseVonageTime(value: string | undefined): number | undefined {
  const m = value && /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})/.exec(value);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isNaN(t) ? undefined : t;
}

/*
 * Delivery receipt (docs sample):
 *   {"msisdn":"447700900000","to":"AcmeInc","network-code":"12345","messageId":"0A0000001234567B","price":"0.03330000",
 *    "status":"delivered","scts":"2001011400","err-code":"0","api-key":"abcd1234","client-ref":"my-personal-reference",
 *    "message-timestamp":"2020-01-01 12:00:00 +0000","timestamp":1582650446,"nonce":"ec11dd3e-…","sig":"1A20E4…"}
 * Inbound (docs sample):
 *   {"api-key":"abcd1234","msisdn":"447700900001","to":"447700900000","messageId":"0A0000000123ABCD1","text":"Hello world",
 *    "type":"text","keyword":"HELLO","message-timestamp":"2020-01-01 12:00:00 +0000","timestamp":"1578787200","nonce":"…"}
 * A concatenated inbound arrives one part per webhook (concat, concat-ref, concat-part): each part is one event.
 */
export function parseVonageWebhook(p: Record<string, string>): WebhookEvent[] {
  if (!p.messageId) throw new Error("vonage webhook without messageId");
  const at = parseVonageTime(p["message-timestamp"]);
  if (p.status !== undefined) {
    const status = STATUS[p.status];
    if (!status) return [];
    const err = p["err-code"];
    return [{
      type: "status", providerId: p.messageId, status,
      ...(err && err !== "0" ? { errorCode: err } : {}),
      ...(at !== undefined ? { at } : {}),
    }];
  }
  if (!p.msisdn || !p.to) throw new Error("vonage inbound without msisdn/to");
  return [{ type: "inbound", providerId: p.messageId, from: e164(p.msisdn), to: e164(p.to), body: p.text ?? "", ...(at !== undefined ? { at } : {}) }];
}

/** Look-ups reach back this much before `since` (clock skew between us and Vonage): see twilio.ts. */
export const LOOKUP_SLACK_MS = 5 * 60_000;
/** The synchronous records search refuses a date range longer than 24 hours. */
const REPORT_WINDOW_MS = 24 * 3600_000;
/** At most this many windows (a week) per look-up; a send older than that is not looked for (see lookupVonage). */
const MAX_WINDOWS = 7;
/** Pages (1,000 records each) read per window before giving up: records are filtered by recipient, so one is the rule. */
const MAX_PAGES = 5;

type Found = Array<StatusUpdate & { to: string; body?: string }>;

/** One record of the SMS (outbound) records search. */
interface VonageRecord {
  message_id?: string; client_ref?: string | null; to?: string; status?: string; error_code?: string;
  error_code_description?: string; date_received?: string; date_finalized?: string;
}

/**
 * Searches the Reports API for outbound SMS to `to` received by Vonage from `since` (minus slack) until now, in
 * windows of at most 24 hours, asking for the next page (its `cursor` and `iv`, on our own base URL rather than
 * the `_links.next` host) while a page is TRUNCATED. Records carry no text (we do
 * not ask for it: a long message has one record per part, each with part of the text), so `body` stays
 * undefined. Parts of one message share its `client_ref` (our message id): one entry per message, the earliest
 * record's (lowest message id on a tie: Vonage's ids count up, so that is the first part, whose id the send returned). A record whose status we do not know still counts as found (Vonage has the message): `sent`.
 * Missing a message here would make reconciliation send it twice, so a look-up that would need more than
 * MAX_WINDOWS windows fails instead of looking at part of the range.
 * @throws DriverError
 */
async function lookupVonage(host: DriverHost, account: DriverAccount, query: { to: string; since?: number }, signal: AbortSignal): Promise<Found> {
  const end = host.clock.now() + LOOKUP_SLACK_MS;
  const start = (query.since ?? end - REPORT_WINDOW_MS) - LOOKUP_SLACK_MS;
  if (end - start > MAX_WINDOWS * REPORT_WINDOW_MS) throw new DriverError("rejected", `vonage: the Reports API look-up covers ${MAX_WINDOWS} days; this send is older, settle it by hand`);
  const records: VonageRecord[] = [];
  for (let from = start; from < end; from += REPORT_WINDOW_MS) {
    const window = { to: digitsOnly(query.to), start: new Date(from).toISOString(), end: new Date(Math.min(from + REPORT_WINDOW_MS, end)).toISOString() };
    records.push(...(await searchRecords(host, account, window, signal)));
  }
  return foundFromRecords(records);
}

/** One records search (at most 24 hours), page after page while Vonage says TRUNCATED. @throws DriverError */
async function searchRecords(host: DriverHost, account: DriverAccount, w: { to: string; start: string; end: string }, signal: AbortSignal): Promise<VonageRecord[]> {
  const key = configString(account.config, "apiKey");
  const secret = configString(account.config, "apiSecret");
  const params = new URLSearchParams({ account_id: key, product: "SMS", direction: "outbound", to: w.to, date_start: w.start, date_end: w.end });
  const out: VonageRecord[] = [];
  for (let page = 1; ; page++) {
    const { json } = await requestProvider({
      driver: "vonage", method: "GET", url: `${baseUrlOf(account.config, VONAGE_REPORTS_DEFAULT_BASE_URL)}/v2/reports/records?${params}`,
      idempotent: true, log: host.log, now: host.clock.now, secrets: [secret],
      headers: { authorization: basicAuth(key, secret), accept: "application/json" }, classify: classifyVonageReportsError,
    }, signal);
    const body = json as { records?: unknown; request_status?: unknown; cursor?: unknown; iv?: unknown };
    if (!Array.isArray(body.records)) throw new DriverError("transient", "vonage: records search answer without records");
    out.push(...(body.records as VonageRecord[]));
    if (body.request_status !== "TRUNCATED" || typeof body.cursor !== "string" || typeof body.iv !== "string") return out;
    if (page === MAX_PAGES) throw new DriverError("transient", `vonage: more than ${MAX_PAGES} pages of records to ${w.to}; not settling from part of them`);
    params.set("cursor", body.cursor);
    params.set("iv", body.iv);
  }
}

/** One entry per message (parts share `client_ref`), oldest first; records without an id are skipped. */
function foundFromRecords(records: VonageRecord[]): Found {
  const seen = new Set<string>();
  const sorted = records.filter((r) => typeof r.message_id === "string" && r.message_id !== "")
    .sort((a, b) => (a.date_received ?? "").localeCompare(b.date_received ?? "") || a.message_id!.localeCompare(b.message_id!));
  const out: Found = [];
  for (const r of sorted) {
    if (r.client_ref) {
      if (seen.has(r.client_ref)) continue;
      seen.add(r.client_ref);
    }
    const update: StatusUpdate & { to: string } = { type: "status", providerId: r.message_id!, status: STATUS[r.status ?? ""] ?? "sent", to: e164(r.to) };
    if (r.error_code && r.error_code !== "0") Object.assign(update, { errorCode: r.error_code, errorMessage: r.error_code_description });
    const at = Date.parse(r.date_finalized ?? r.date_received ?? "");
    if (!Number.isNaN(at)) update.at = at;
    out.push(update);
  }
  return out;
}

/*
 * Reports API errors are RFC 7807 bodies, e.g. 422:
 *   {"type":"https://developer.nexmo.com/api-errors/reports#invalid-filter","title":"Invalid filter",
 *    "detail":"When using message_id, the following parameters are not supported: [date_start, date_end]","instance":"f94b…"}
 * 401 "Unauthorized" / 403 "Forbidden" (wrong key or secret, account_id not ours) are configuration errors.
 */
/** Maps a Reports API error answer to a DriverError; undefined = by HTTP status. */
export function classifyVonageReportsError(status: number, body: unknown): DriverError | undefined {
  const b = (body ?? {}) as { title?: unknown; detail?: unknown };
  if (typeof b.title !== "string") return undefined;
  const text = typeof b.detail === "string" ? `${b.title}: ${b.detail}` : b.title;
  return new DriverError(status === 401 || status === 403 ? "config" : "rejected", `Vonage Reports API: ${text}`, String(status));
}
