/**
 * Retention of the dashboard's per-minute counters (`statsMinutes`): every company adds up to five keys a minute,
 * so without pruning the database grows by ~7,200 keys per company per day, forever. The minute tick removes
 * buckets older than STATS_RETENTION_DAYS a batch at a time.
 */
import type { Deps } from "../deps.ts";
import { minuteOf } from "../storage/stats.ts";

/**
 * Days of per-minute stats kept. The dashboard reads at most a week back (MAX_SERIES_MINUTES) and "today" since
 * local midnight; 30 days leaves room for a longer chart without the store growing without end.
 */
export const STATS_RETENTION_DAYS = 30;

/** Most buckets removed per tick: one short write transaction, so sends and webhooks barely notice it. */
export const STATS_PRUNE_BATCH = 5_000;

/**
 * Removes at most `batch` per-minute buckets older than the retention, oldest first, company by company, in one
 * transaction; returns how many it removed (less than `batch` means nothing older is left). Reads only the keys it
 * removes (each company's range starts with its oldest minute). Safe to run at any time and twice.
 */
export async function pruneStatMinutes(deps: Pick<Deps, "storage">, now: number, batch = STATS_PRUNE_BATCH): Promise<number> {
  const s = deps.storage;
  const db = s.db("statsMinutes");
  const cutoff = minuteOf(now) - STATS_RETENTION_DAYS * 24 * 60;
  const doomed: unknown[] = [];
  for (const companyId of s.db("companies").getKeys()) {
    if (doomed.length >= batch) break;
    for (const key of db.getKeys({ start: [companyId], end: [companyId, cutoff], limit: batch - doomed.length })) doomed.push(key);
  }
  if (doomed.length === 0) return 0;
  await s.env.transaction(() => {
    for (const key of doomed) db.removeSync(key as never);
  });
  return doomed.length;
}
