/**
 * The Reports API's synchronous records search (`GET /v2/reports/records`) for the fake Vonage, answered from
 * the messages the fake really accepted, in the documented wire format:
 * https://developer.vonage.com/en/api/reports#get-records and the "Get records by dates" sample
 * (`{"_links":…,"request_id":…,"request_status":"SUCCESS","items_count":2,"records":[{"message_id":…,"to":"447700123456",
 * "date_received":"2020-06-04T12:21:35+0000","status":"delivered","error_code":"0",…}]}`). More records than a
 * page answers TRUNCATED with a `cursor` and `iv` (and `_links.next`), as the pagination guide describes.
 * Errors are RFC 7807 bodies (401, 403, 422 with `invalid_parameters`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { json, readBasicAuth, type RecordedRequest } from "./fake-http.ts";

/** What the fake stores per accepted message part (see fake-vonage.ts). */
export interface VonageReportedMessage {
  messageId: string; to: string; from: string; text: string; clientRef?: string;
  /** Epoch ms Vonage received the request. */
  received: number;
  /** The SMS status a records search shows: `accepted` until a delivery receipt says more. */
  status: string;
  /** The receipt's `err-code`, once there is one. */
  errCode?: string;
  finalized?: number;
}

export interface ReportsContext {
  apiKey: string;
  apiSecret: string;
  messages: VonageReportedMessage[];
  now: () => number;
  /** Records per page (Vonage: 1,000). */
  pageSize: number;
  /** A message shows in the search only this long after Vonage took it (its records are fed asynchronously). */
  lagMs: number;
  /** Cursors handed out, with the iv that must come back with each. */
  cursors: Map<string, { iv: string; offset: number }>;
}

const DAY_MS = 24 * 3600_000;
const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}) =>
  json(status, { type: `https://developer.nexmo.com/api-errors/reports#${title.toLowerCase().replaceAll(" ", "-")}`, title, detail, ...extra, instance: randomUUID() });
const missing = (name: string) => json(422, { title: "Unprocessable entity", invalid_parameters: [{ reason: "Missing required parameter", name }], instance: randomUUID() });

/** "2020-06-04T12:21:35+0000", as the records carry dates. */
export function vonageReportTime(t: number): string {
  return new Date(t).toISOString().slice(0, 19) + "+0000";
}

/** Answers one records search. */
export function searchVonageRecords(ctx: ReportsContext, req: RecordedRequest): Response {
  const auth = readBasicAuth(req.headers);
  if (!auth || auth.user !== ctx.apiKey || auth.password !== ctx.apiSecret) return problem(401, "Unauthorized", "You did not provide correct credentials.");
  const q = req.query;
  if (!q.get("account_id")) return missing("account_id");
  if (q.get("account_id") !== ctx.apiKey) return problem(403, "Forbidden", "User not authorized to query the requested data");
  if (!q.get("product")) return missing("product");
  if (q.get("product") !== "SMS") return json(422, { title: "Unprocessable entity", invalid_parameters: [{ reason: "This fake knows product SMS only", name: "product" }], instance: randomUUID() });
  if (!q.get("direction")) return missing("direction");
  const window = readWindow(ctx, q);
  if (window instanceof Response) return window;
  const hits = ctx.messages.filter((m) =>
    q.get("direction") === "outbound" && m.received >= window.start && m.received < window.end && ctx.now() - m.received >= ctx.lagMs &&
    (!q.get("to") || m.to === q.get("to")) && (!q.get("status") || m.status === q.get("status")));
  let offset = 0;
  const cursor = q.get("cursor");
  if (cursor !== null) {
    const held = ctx.cursors.get(cursor);
    if (!held || held.iv !== q.get("iv")) return problem(400, "Invalid request parameter", "cursor or iv is not valid");
    offset = held.offset;
  }
  return json(200, page(ctx, q, window, hits, offset));
}

/** `date_start` and `date_end` come together, at most 24 hours apart; none means the last 24 hours. */
function readWindow(ctx: ReportsContext, q: URLSearchParams): { start: number; end: number } | Response {
  const [s, e] = [q.get("date_start"), q.get("date_end")];
  if (s === null && e === null) return { start: ctx.now() - DAY_MS, end: ctx.now() };
  if (s === null) return missing("date_start");
  if (e === null) return missing("date_end");
  const [start, end] = [Date.parse(s), Date.parse(e)];
  if (Number.isNaN(start) || Number.isNaN(end)) return problem(400, "Invalid request parameter", "date_start and date_end must be ISO-8601");
  if (end - start > DAY_MS) return problem(422, "Invalid filter", "date_end must be no more than 24 hours later than date_start");
  return { start, end };
}

function page(ctx: ReportsContext, q: URLSearchParams, w: { start: number; end: number }, hits: VonageReportedMessage[], offset: number) {
  const slice = hits.slice(offset, offset + ctx.pageSize);
  const truncated = offset + slice.length < hits.length;
  const self = new URLSearchParams(q);
  const body: Record<string, unknown> = {
    _links: { self: { href: `https://api.nexmo.com/v2/reports/records?${self}` } },
    request_id: randomUUID(), request_status: truncated ? "TRUNCATED" : "SUCCESS", received_at: vonageReportTime(ctx.now()),
    price: 0.0, currency: "EUR", direction: q.get("direction"), product: "SMS", account_id: ctx.apiKey,
    date_start: vonageReportTime(w.start), date_end: vonageReportTime(w.end), include_subaccounts: false,
    include_message: q.get("include_message") === "true", items_count: slice.length,
    records: slice.map((m) => record(ctx.apiKey, m, q.get("include_message") === "true")),
  };
  if (truncated) {
    const cursor = randomBytes(24).toString("base64url");
    const iv = randomBytes(16).toString("base64url");
    ctx.cursors.set(cursor, { iv, offset: offset + slice.length });
    Object.assign(body, { cursor, iv });
    self.set("cursor", cursor);
    self.set("iv", iv);
    (body._links as Record<string, unknown>).next = { href: `https://api.nexmo.com/v2/reports/records?${self}` };
  }
  return body;
}

function record(accountId: string, m: VonageReportedMessage, withBody: boolean) {
  return {
    account_id: accountId, message_id: m.messageId, client_ref: m.clientRef ?? null, direction: "outbound", from: m.from, to: m.to,
    network: "23410", network_name: "Telefonica UK Limited", country: "GB", country_name: "United Kingdom",
    date_received: vonageReportTime(m.received), date_finalized: m.finalized === undefined ? null : vonageReportTime(m.finalized),
    latency: m.finalized === undefined ? null : String(m.finalized - m.received), status: m.status, error_code: m.errCode ?? null,
    error_code_description: m.errCode === undefined ? null : m.errCode === "0" ? "Delivered" : "Delivery failed", currency: "EUR", total_price: "0.03330000",
    ...(withBody ? { message_body: m.text } : {}),
  };
}
