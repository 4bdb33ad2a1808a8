import type { Storage } from "./db.ts";

/**
 * Suppressions: (company, phone) pairs that must receive nothing more from that company.
 * Layout in keys.ts: `suppressions` [companyId, phone] → Suppression. Phones are E.164.
 */
export interface Suppression {
  v?: 1;
  /** Why: `stop_word`, `manual`, `carrier_opt_out`, `import`, … (free-form, snake_case). */
  reason: string;
  /** Epoch ms when it was recorded. */
  at: number;
}

/** One suppression as listed, with its phone. */
export interface SuppressionEntry extends Suppression {
  phone: string;
}

/** True when the company must not message this phone. */
export function isSuppressed(s: Storage, companyId: string, phone: string): boolean {
  return s.db("suppressions").doesExist([companyId, phone]);
}

/** The suppression record for (company, phone), or undefined. */
export function getSuppression(s: Storage, companyId: string, phone: string): Suppression | undefined {
  return s.db("suppressions").get([companyId, phone]);
}

/**
 * Records a suppression; call inside the caller's `transactionSync` so it commits with what caused it.
 * Re-running overwrites reason and time (idempotent in effect).
 */
export function putSuppressionSync(s: Storage, companyId: string, phone: string, rec: { reason: string; at: number }): void {
  s.db("suppressions").putSync([companyId, phone], { v: 1, reason: rec.reason, at: rec.at } satisfies Suppression);
}

/** Lifts a suppression; returns false when there was none. Call inside the caller's `transactionSync`. */
export function removeSuppressionSync(s: Storage, companyId: string, phone: string): boolean {
  return s.db("suppressions").removeSync([companyId, phone]);
}

/**
 * One page of a company's suppressions in phone order, optionally only phones starting with `prefix`.
 * `cursor` is the last phone of the previous page (exclusive); `next` is set when more may follow.
 */
export function listSuppressions(
  s: Storage,
  companyId: string,
  opts: { prefix?: string; limit?: number; cursor?: string } = {},
): { items: SuppressionEntry[]; next?: string } {
  const prefix = opts.prefix ?? "";
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
  const start = opts.cursor && opts.cursor > prefix ? opts.cursor : prefix;
  const items: SuppressionEntry[] = [];
  for (const { key, value } of s.db("suppressions").getRange({ start: [companyId, start], end: [companyId, prefix + "\uffff"] })) {
    const phone = (key as [string, string])[1];
    if (phone === opts.cursor) continue;
    if (items.length === limit) return { items, next: items[items.length - 1]!.phone };
    items.push({ phone, reason: value.reason, at: value.at });
  }
  return { items };
}
