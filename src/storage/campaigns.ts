import type { CampaignStatus } from "../domain/campaign.ts";
import type { MessageStatus } from "../domain/message.ts";
import type { Storage } from "./db.ts";

/** A campaign record. Counters live in `campaignCounts`, not here, so status flips never rewrite them. */
export interface Campaign {
  v: 1;
  id: string;
  companyId: string;
  name: string;
  accountId: string;
  listIds: string[];
  body: string;
  status: CampaignStatus;
  startAt?: number;
  /** Set once every list has been turned into messages. */
  generated: boolean;
  /** `start` was asked while still generating: run as soon as generation ends. */
  startRequested?: boolean;
  /** Generation resumes here: index into listIds and the last phone done in that list. */
  cursor?: { list: number; after?: string };
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  /** When the tick first found nothing left to send (completion then waits for late reports). */
  drainedAt?: number;
}

export type CounterName = MessageStatus | "total" | "missingFields" | `skip:${string}`;

/**
 * Campaign records are read for every message sent, so they are cached in memory per storage. Safe
 * because every campaign write happens in this process through putCampaignSync, inside transactions
 * that cannot roll back once a write was made (lmdb async transactions).
 */
const cache = new WeakMap<Storage, Map<string, Campaign>>();

function cacheOf(s: Storage): Map<string, Campaign> {
  let m = cache.get(s);
  if (!m) cache.set(s, (m = new Map()));
  return m;
}

/** One campaign of one company, or undefined (also when it belongs to another company). */
export function getCampaign(s: Storage, companyId: string, id: string): Campaign | undefined {
  const c = cacheOf(s).get(id) ?? (s.db("campaigns").get([companyId, id]) as Campaign | undefined);
  if (!c || c.companyId !== companyId) return undefined;
  cacheOf(s).set(id, c);
  return c;
}

/** Campaigns of a company, newest first. */
export function listCampaigns(s: Storage, companyId: string, limit = 100): Campaign[] {
  const out: Campaign[] = [];
  for (const { value } of s.db("campaigns").getRange({ start: [companyId, "\uffff"], end: [companyId], reverse: true, limit })) out.push(value);
  return out;
}

/** Writes a campaign and keeps the running index in step with its status. Call inside a write transaction. */
export function putCampaignSync(s: Storage, c: Campaign): void {
  s.db("campaigns").putSync([c.companyId, c.id], c);
  cacheOf(s).set(c.id, c);
  if (c.status === "running") s.db("runningCampaigns").putSync([c.accountId, c.id], c.companyId);
  else s.db("runningCampaigns").removeSync([c.accountId, c.id]);
}

/** All counters of a campaign as a map. */
export function readCounts(s: Storage, campaignId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { key, value } of s.db("campaignCounts").getRange({ start: [campaignId], end: [campaignId, "\uffff"] })) {
    out[(key as string[])[1]!] = value as number;
  }
  return out;
}

/** Running campaigns per account: `[accountId, [campaignId, companyId][]]`. */
export function runningByAccount(s: Storage): Map<string, Array<{ campaignId: string; companyId: string }>> {
  const out = new Map<string, Array<{ campaignId: string; companyId: string }>>();
  for (const { key, value } of s.db("runningCampaigns").getRange()) {
    const [accountId, campaignId] = key as [string, string];
    const list = out.get(accountId) ?? [];
    list.push({ campaignId, companyId: value as string });
    out.set(accountId, list);
  }
  return out;
}

/**
 * Accumulates counter deltas during a transaction and writes each touched counter once.
 * Use: `const c = new CounterBatch(s); c.add(id, "sent", 1); c.flushSync();` inside the same transaction.
 */
export class CounterBatch {
  // campaign → counter → delta (nested maps: no key string built per call on the hot path)
  private readonly deltas = new Map<string, Map<CounterName, number>>();
  constructor(private readonly s: Storage) {}

  add(campaignId: string, name: CounterName, n: number): void {
    let byName = this.deltas.get(campaignId);
    if (!byName) this.deltas.set(campaignId, (byName = new Map()));
    byName.set(name, (byName.get(name) ?? 0) + n);
  }

  /** Moves one message from one status counter to another. */
  move(campaignId: string | undefined, from: MessageStatus, to: MessageStatus): void {
    if (!campaignId || from === to) return;
    this.add(campaignId, from, -1);
    this.add(campaignId, to, 1);
  }

  flushSync(): void {
    const db = this.s.db("campaignCounts");
    for (const [campaignId, byName] of this.deltas) {
      for (const [name, n] of byName) {
        if (n === 0) continue;
        const key = [campaignId, name];
        db.putSync(key, ((db.get(key) as number | undefined) ?? 0) + n);
      }
    }
    this.deltas.clear();
  }
}
