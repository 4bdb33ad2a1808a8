import type { Encoding } from "../domain/segments.ts";
import type { MessageStatus, SkipReason } from "../domain/message.ts";
import type { Storage } from "./db.ts";
import { messageListingKey } from "./ids.ts";

/** One outbound message: campaign messages and auto-replies alike. */
export interface Message {
  v: 1;
  id: string;
  companyId: string;
  campaignId?: string;
  accountId: string;
  to: string;
  from?: string;
  body: string;
  segments: number;
  encoding: Encoding;
  status: MessageStatus;
  /** Recipient's time zone (quiet hours); empty = the company's. */
  tz: string;
  /** The random component of its pending-index key (campaign messages). */
  rand: number;
  createdAt: number;
  queuedAt?: number;
  sentAt?: number;
  providerId?: string;
  reason?: SkipReason;
  error?: string;
  errorCode?: string;
  /** Kind of non-campaign message, exempt from the frequency cap and quiet hours. */
  kind?: "auto_reply" | "stop_confirm" | "start_confirm" | "help";
}

/**
 * Messages are stored as fixed-position arrays, not objects: one shape for every message whatever fields
 * it has, so msgpack never writes a record definition and reads stay cheap on the hot path.
 */
const FIELDS = [
  "id", "companyId", "campaignId", "accountId", "to", "from", "body", "segments", "encoding", "status", "tz", "rand",
  "createdAt", "queuedAt", "sentAt", "providerId", "reason", "error", "errorCode", "kind",
] as const satisfies ReadonlyArray<keyof Message>;
const ROW_VERSION = 1;

function encodeMessage(m: Message): unknown[] {
  const row: unknown[] = new Array(FIELDS.length + 1);
  row[0] = ROW_VERSION;
  for (let i = 0; i < FIELDS.length; i++) row[i + 1] = m[FIELDS[i]!] ?? null;
  return row;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** One object literal in FIELDS order (every message the same shape: the hot path's property reads stay monomorphic). */
function decodeMessage(r: any[]): Message {
  return {
    v: 1, id: r[1], companyId: r[2], campaignId: opt(r[3]), accountId: r[4], to: r[5], from: opt(r[6]), body: r[7],
    segments: r[8], encoding: r[9], status: r[10], tz: r[11], rand: r[12], createdAt: r[13], queuedAt: opt(r[14]),
    sentAt: opt(r[15]), providerId: opt(r[16]), reason: opt(r[17]), error: opt(r[18]), errorCode: opt(r[19]), kind: opt(r[20]),
  };
}

/** One message by id. */
export function getMessage(s: Storage, id: string): Message | undefined {
  const row = s.db("messages").get(id) as unknown[] | undefined;
  return row ? decodeMessage(row) : undefined;
}

/** Writes a message record (no index changes). Call inside a write transaction. */
export function putMessageSync(s: Storage, m: Message): void {
  s.db("messages").putSync(m.id, encodeMessage(m));
}
/** Message id for a provider id of an account (delivery reports). */
export const messageIdByProviderId = (s: Storage, accountId: string, providerId: string): string | undefined =>
  s.db("providerIds").get([accountId, providerId]);

/** Writes a new message with its listing indexes. Call inside a write transaction. */
export function insertMessageSync(s: Storage, m: Message): void {
  putMessageSync(s, m);
  // Listed newest first by the time-ordered part of the id; the value is the id when it differs (keys.ts).
  const pos = messageListingKey(m.id);
  const value = pos === m.id ? null : m.id;
  s.db("companyMessages").putSync([m.companyId, pos], value);
  s.db("phoneMessages").putSync([m.companyId, m.to, pos], value);
  if (m.campaignId) s.db("campaignMessages").putSync([m.campaignId, m.to], m.id);
}

/**
 * Adds messages to and removes them from the pending index within one transaction, writing each zone's count
 * once at the end instead of once per message.
 * Use: `const p = new PendingChanges(s); p.add(m); p.remove(m2); …; p.flushSync();` inside the same transaction.
 */
export class PendingChanges {
  private readonly zones = new Map<string, { key: [string, string]; n: number }>();
  constructor(private readonly s: Storage) {}

  add(m: Pick<Message, "id" | "campaignId" | "tz" | "rand">): void {
    this.s.db("pendingIndex").putSync([m.campaignId!, m.tz, m.rand, m.id], null);
    this.count(m, 1);
  }

  remove(m: Pick<Message, "id" | "campaignId" | "tz" | "rand">): void {
    this.s.db("pendingIndex").removeSync([m.campaignId!, m.tz, m.rand, m.id]);
    this.count(m, -1);
  }

  flushSync(): void {
    const db = this.s.db("pendingZones");
    for (const { key, n } of this.zones.values()) {
      if (n === 0) continue;
      const now = ((db.get(key) as number | undefined) ?? 0) + n;
      if (now > 0) db.putSync(key, now);
      else db.removeSync(key);
    }
    this.zones.clear();
  }

  private count(m: Pick<Message, "campaignId" | "tz">, delta: number): void {
    const k = m.campaignId + "\0" + m.tz;
    const z = this.zones.get(k);
    if (z) z.n += delta;
    else this.zones.set(k, { key: [m.campaignId!, m.tz], n: delta });
  }
}

/** Time zones that still have pending messages in a campaign, with counts. */
export function pendingZones(s: Storage, campaignId: string): Array<{ tz: string; n: number }> {
  const out: Array<{ tz: string; n: number }> = [];
  for (const { key, value } of s.db("pendingZones").getRange({ start: [campaignId], end: [campaignId, "\uffff"] })) {
    out.push({ tz: (key as string[])[1]!, n: value as number });
  }
  return out;
}

/** Up to `limit` pending entries of one zone of a campaign, in random order, starting at a random point. */
export function samplePending(s: Storage, campaignId: string, tz: string, limit: number): Array<{ id: string; rand: number }> {
  const out: Array<{ id: string; rand: number }> = [];
  const pivot = Math.floor(Math.random() * 0xffffffff);
  const read = (start: Array<string | number>, end: Array<string | number>) => {
    for (const key of s.db("pendingIndex").getKeys({ start, end, limit: limit - out.length })) {
      const k = key as [string, string, number, string];
      out.push({ rand: k[2], id: k[3] });
    }
  };
  read([campaignId, tz, pivot], [campaignId, tz, 0x100000000]);
  if (out.length < limit) read([campaignId, tz, 0], [campaignId, tz, pivot]);
  return out;
}
