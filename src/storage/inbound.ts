import type { Storage } from "./db.ts";

/** A reply received from a recipient. */
export interface InboundMessage {
  v: 1;
  id: string;
  companyId: string;
  accountId: string;
  providerId: string;
  from: string;
  to: string;
  body: string;
  receivedAt: number;
  /** The last outbound message the company sent to `from` before this arrived. */
  replyTo?: string;
  /** What the reply was taken as. */
  intent: "stop" | "start" | "help" | "keyword" | "message";
}

/** Writes a reply with its indexes. Call inside a write transaction. */
export function insertInboundSync(s: Storage, m: InboundMessage): void {
  s.db("inbound").putSync([m.companyId, m.id], m);
  s.db("phoneInbound").putSync([m.companyId, m.from, m.id], null);
  s.db("inboundProviderIds").putSync([m.accountId, m.providerId], m.id);
}

/** Replies of a company, newest first, optionally for one phone; cursor = last id seen. */
export function listInbound(s: Storage, companyId: string, opts: { phone?: string; limit: number; cursor?: string }): { items: InboundMessage[]; next?: string } {
  const items: InboundMessage[] = [];
  if (opts.phone) {
    const end = opts.cursor ? [companyId, opts.phone, opts.cursor] : [companyId, opts.phone, "\uffff"];
    for (const key of s.db("phoneInbound").getKeys({ start: end, end: [companyId, opts.phone], reverse: true, limit: opts.limit + 1 })) {
      const id = (key as string[])[2]!;
      if (id === opts.cursor) continue;
      const m = s.db("inbound").get([companyId, id]);
      if (m) items.push(m);
      if (items.length >= opts.limit) break;
    }
  } else {
    const start = opts.cursor ? [companyId, opts.cursor] : [companyId, "\uffff"];
    for (const { key, value } of s.db("inbound").getRange({ start, end: [companyId], reverse: true, limit: opts.limit + 1 })) {
      if ((key as string[])[1] === opts.cursor) continue;
      items.push(value);
      if (items.length >= opts.limit) break;
    }
  }
  return { items, next: items.length === opts.limit ? items[items.length - 1]!.id : undefined };
}
