import type { Storage } from "../storage/db.ts";
import type { Message } from "../storage/messages.ts";
import { getMessage } from "../storage/messages.ts";

/** The public shape of a message (API.md); `sending`/`unknown` show as `queued`, the detail in `state`. */
export function messageView(m: Message) {
  const status = m.status === "sending" || m.status === "unknown" ? "queued" : m.status;
  return {
    id: m.id, campaignId: m.campaignId, from: m.from ?? "", to: m.to, body: m.body, segments: m.segments, encoding: m.encoding,
    status, state: m.status, reason: m.reason, kind: m.kind,
    createdAt: new Date(m.createdAt).toISOString(), sentAt: m.sentAt === undefined ? undefined : new Date(m.sentAt).toISOString(),
    providerId: m.providerId, error: m.error, errorCode: m.errorCode,
  };
}

export interface MessageQuery {
  campaignId?: string;
  phone?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

/** Most index entries one page may examine when filtering by status, so a request stays short. */
const MAX_SCAN = 20_000;

/**
 * Lists a company's messages: by campaign (phone order), by phone or all (newest first), optionally
 * filtered by status. `next` is an opaque cursor; a page may be short when the filter is selective.
 */
export function queryMessages(s: Storage, companyId: string, q: MessageQuery): { items: ReturnType<typeof messageView>[]; next?: string } {
  const items: ReturnType<typeof messageView>[] = [];
  let scanned = 0;
  let last: string | undefined;
  const accept = (m: Message | undefined) => {
    if (!m || m.companyId !== companyId) return;
    const v = messageView(m);
    if (!q.status || v.status === q.status || m.status === q.status) items.push(v);
  };
  const keys = q.campaignId
    ? s.db("campaignMessages").getRange({ start: q.cursor ? [q.campaignId, q.cursor] : [q.campaignId], end: [q.campaignId, "\uffff"] })
    : q.phone
      ? s.db("phoneMessages").getRange({ start: q.cursor ? [companyId, q.phone, q.cursor] : [companyId, q.phone, "\uffff"], end: [companyId, q.phone], reverse: true })
      : s.db("companyMessages").getRange({ start: q.cursor ? [companyId, q.cursor] : [companyId, "\uffff"], end: [companyId], reverse: true });
  for (const { key, value } of keys) {
    const k = key as string[];
    const pos = k[k.length - 1]!;
    if (pos === q.cursor) continue;
    // campaignMessages hold the id; the listing indexes hold it when it is not the key itself (keys.ts).
    accept(getMessage(s, (value as string | null) ?? pos));
    last = pos;
    if (items.length >= q.limit || ++scanned >= MAX_SCAN) break;
  }
  const more = items.length >= q.limit || scanned >= MAX_SCAN;
  return { items, next: more ? last : undefined };
}
