import type { Storage } from "./db.ts";

/** What the dashboard counts per company per minute (layout in keys.ts: `statsMinutes`). */
export type StatKind = "sent" | "delivered" | "failed" | "replies" | "optOuts";
export const STAT_KINDS: readonly StatKind[] = ["sent", "delivered", "failed", "replies", "optOuts"];

/** The minute bucket (minutes since the epoch) that time `at` (epoch ms) falls in. */
export const minuteOf = (at: number): number => Math.floor(at / 60_000);

/** Adds `n` to one company's counter for the minute of `at`. Call inside the write transaction that made the change. */
export function bumpStatSync(s: Storage, companyId: string, at: number, kind: StatKind, n = 1): void {
  const db = s.db("statsMinutes");
  const key = [companyId, minuteOf(at), kind];
  db.putSync(key, ((db.get(key) as number | undefined) ?? 0) + n);
}

/**
 * Minute-stat changes gathered during one write transaction, each bucket written once at the end.
 * Use: `const b = new StatBatch(s); b.add(companyId, at, "sent"); …; b.flushSync();` inside the transaction.
 */
export class StatBatch {
  private readonly deltas = new Map<string, { companyId: string; minute: number; kind: StatKind; n: number }>();
  constructor(private readonly s: Storage) {}

  add(companyId: string, at: number, kind: StatKind, n = 1): void {
    const minute = minuteOf(at);
    const k = `${companyId}\0${minute}\0${kind}`;
    const d = this.deltas.get(k);
    if (d) d.n += n;
    else this.deltas.set(k, { companyId, minute, kind, n });
  }

  flushSync(): void {
    for (const d of this.deltas.values()) if (d.n !== 0) bumpStatSync(this.s, d.companyId, d.minute * 60_000, d.kind, d.n);
    this.deltas.clear();
  }
}

/** Every non-zero bucket of a company in minutes [from, to], as minute → kind → n. */
export function readStatMinutes(s: Storage, companyId: string, from: number, to: number): Map<number, Partial<Record<StatKind, number>>> {
  const out = new Map<number, Partial<Record<StatKind, number>>>();
  for (const { key, value } of s.db("statsMinutes").getRange({ start: [companyId, from], end: [companyId, to + 1] })) {
    const [, minute, kind] = key as [string, number, StatKind];
    let row = out.get(minute);
    if (!row) out.set(minute, (row = {}));
    row[kind] = value as number;
  }
  return out;
}
