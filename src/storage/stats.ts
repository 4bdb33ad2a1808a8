import type { Storage } from "./db.ts";

/** What the dashboard counts per company per minute (layout in keys.ts: `statsMinutes`). */
export type StatKind = "sent" | "delivered" | "failed" | "replies" | "optOuts";
export const STAT_KINDS: readonly StatKind[] = ["sent", "delivered", "failed", "replies", "optOuts"];

/** The minute bucket (minutes since the epoch) that time `at` (epoch ms) falls in. */
export const minuteOf = (at: number): number => Math.floor(at / 60_000);

/** Adds `n` to one company's counter for the minute of `at`. Call inside the write transaction that made the change. */
export function bumpStatSync(s: Storage, companyId: string, at: number, kind: StatKind, n = 1): void {
  bumpSync(s, "statsMinutes", companyId, minuteOf(at), kind, n);
}

/**
 * Minute-stat changes gathered during one write transaction, each bucket written once at the end.
 * Use: `const b = new StatBatch(s); b.add(companyId, at, "sent"); …; b.flushSync();` inside the transaction.
 */
export class StatBatch {
  // db → owner → minute → kind → delta (nested maps: no key string built per call on the hot path)
  private readonly deltas = new Map<StatsDb, Map<string, Map<number, Map<StatKind, number>>>>();
  constructor(private readonly s: Storage) {}

  /** Counts for a company (the dashboard). */
  add(companyId: string, at: number, kind: StatKind, n = 1): void {
    this.bump("statsMinutes", companyId, at, kind, n);
  }

  /** Counts for one campaign (its delivery chart). */
  addCampaign(campaignId: string, at: number, kind: StatKind, n = 1): void {
    this.bump("campaignMinutes", campaignId, at, kind, n);
  }

  flushSync(): void {
    for (const [db, owners] of this.deltas) {
      for (const [owner, minutes] of owners) {
        for (const [minute, kinds] of minutes) for (const [kind, n] of kinds) if (n !== 0) bumpSync(this.s, db, owner, minute, kind, n);
      }
    }
    this.deltas.clear();
  }

  private bump(db: StatsDb, owner: string, at: number, kind: StatKind, n: number): void {
    const minute = minuteOf(at);
    let owners = this.deltas.get(db);
    if (!owners) this.deltas.set(db, (owners = new Map()));
    let minutes = owners.get(owner);
    if (!minutes) owners.set(owner, (minutes = new Map()));
    let kinds = minutes.get(minute);
    if (!kinds) minutes.set(minute, (kinds = new Map()));
    kinds.set(kind, (kinds.get(kind) ?? 0) + n);
  }
}

type StatsDb = "statsMinutes" | "campaignMinutes";

function bumpSync(s: Storage, name: StatsDb, owner: string, minute: number, kind: StatKind, n: number): void {
  const db = s.db(name);
  const key = [owner, minute, kind];
  db.putSync(key, ((db.get(key) as number | undefined) ?? 0) + n);
}

/** Every non-zero bucket of a company in minutes [from, to], as minute → kind → n. */
export function readStatMinutes(s: Storage, companyId: string, from: number, to: number): Map<number, Partial<Record<StatKind, number>>> {
  return readMinutes(s, "statsMinutes", companyId, from, to);
}

/** Every non-zero bucket of a campaign in minutes [from, to], as minute → kind → n. */
export function readCampaignMinutes(s: Storage, campaignId: string, from: number, to: number): Map<number, Partial<Record<StatKind, number>>> {
  return readMinutes(s, "campaignMinutes", campaignId, from, to);
}

function readMinutes(s: Storage, name: StatsDb, owner: string, from: number, to: number): Map<number, Partial<Record<StatKind, number>>> {
  const out = new Map<number, Partial<Record<StatKind, number>>>();
  for (const { key, value } of s.db(name).getRange({ start: [owner, from], end: [owner, to + 1] })) {
    const [, minute, kind] = key as [string, number, StatKind];
    let row = out.get(minute);
    if (!row) out.set(minute, (row = {}));
    row[kind] = value as number;
  }
  return out;
}
