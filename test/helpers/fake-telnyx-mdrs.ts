/**
 * Telnyx's Detail Record Search (`GET /v2/detail_records`) for the fake Telnyx, over the messages the fake really
 * accepted, in the documented wire format (https://developers.telnyx.com/api/detail-records/search-detail-records):
 * `filter[record_type]` (required; this fake knows `messaging`), equality filters such as `filter[direction]` and
 * `filter[cld]`, `filter[created_at][gte]` / `[lt]` (a day like `2021-06-22`, or a timestamp), `sort=created_at` or
 * `-created_at`, `page[number]` and `page[size]` (1–50, default 20); answers `{"data":[MDR…],"meta":{total_pages,
 * total_results, page_number, page_size}}`, errors as `{"errors":[{code,title,detail}]}`.
 */
import { json, type RecordedRequest } from "./fake-http.ts";

/** What the fake keeps per accepted message for its MDR (see fake-telnyx.ts). */
export interface TelnyxMdrSource {
  id: string; from: string; to: string; webhookUrl?: string; messagingProfileId?: string;
  /** Epoch ms Telnyx created the message. */
  created: number;
  /** The final status its MDR shows (`delivered`, `gw_reject`, …), once there is one. */
  mdrStatus?: string;
  mdrErrors?: string[];
  completed?: number;
}

const errors = (status: number, code: string, title: string, detail: string) => json(status, { errors: [{ code, title, detail }] });
const EQUALITY = ["direction", "cld", "cli", "status", "message_type", "uuid"] as const;

/** Answers one search; `apiKey` is the Bearer token the fake accepts. */
export function searchTelnyxMdrs(apiKey: string, messages: TelnyxMdrSource[], req: RecordedRequest): Response {
  if (req.headers.authorization !== `Bearer ${apiKey}`) return errors(401, "10009", "Authentication failed", "The API key looks malformed. Check that you copied it correctly.");
  const q = req.query;
  const type = q.get("filter[record_type]");
  if (!type) return errors(400, "10015", "Bad Request", "filter[record_type] must be specified");
  if (type !== "messaging") return errors(400, "10015", "Bad Request", "this fake searches messaging records only");
  const size = Number(q.get("page[size]") ?? 20);
  const number = Number(q.get("page[number]") ?? 1);
  if (!Number.isInteger(size) || size < 1 || size > 50 || !Number.isInteger(number) || number < 1) return errors(400, "10015", "Bad Request", "page[size] must be 1..50 and page[number] >= 1");
  const gte = bound(q.get("filter[created_at][gte]"));
  const lt = bound(q.get("filter[created_at][lt]"));
  if (Number.isNaN(gte) || Number.isNaN(lt)) return errors(400, "10015", "Bad Request", "filter[created_at] must be a date");
  const records = messages.map(mdr).filter((r) =>
    EQUALITY.every((f) => q.get(`filter[${f}]`) === null || String(r[f]) === q.get(`filter[${f}]`)) &&
    (gte === undefined || Date.parse(r.created_at) >= gte) && (lt === undefined || Date.parse(r.created_at) < lt));
  const sort = q.get("sort") ?? "created_at";
  records.sort((a, b) => (sort === "-created_at" ? -1 : 1) * (Date.parse(a.created_at) - Date.parse(b.created_at)));
  return json(200, {
    data: records.slice((number - 1) * size, number * size),
    meta: { total_pages: Math.ceil(records.length / size), total_results: records.length, page_number: number, page_size: size },
  });
}

/** A day ("2021-06-22", midnight UTC) or a timestamp; undefined when absent. */
function bound(v: string | null): number | undefined {
  if (v === null) return undefined;
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
}

function mdr(m: TelnyxMdrSource) {
  const stamp = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString().replace(".000Z", "Z"));
  return {
    record_type: "message_detail_record", uuid: m.id, user_id: "3ca7bd3d-7d82-4e07-9df4-009123068320",
    created_at: stamp(m.created)!, updated_at: stamp(m.completed ?? m.created), sent_at: stamp(m.created), completed_at: stamp(m.completed),
    carrier: "T-Mobile USA", carrier_fee: "0.003", cld: m.to, cli: m.from, country_code: "US",
    delivery_status: m.webhookUrl ? "success: webhook succeeded" : null, delivery_status_webhook_url: m.webhookUrl ?? null,
    direction: "outbound", fteu: false, message_type: "SMS", on_net: false, parts: 1, profile_id: m.messagingProfileId ?? null,
    profile_name: m.messagingProfileId ? "Pombo" : null, source_country_code: "US", tags: "", rate: "0.004", currency: "USD", cost: "0.004",
    errors: m.mdrErrors ?? [], ...(m.mdrStatus ? { status: m.mdrStatus } : {}),
  };
}
