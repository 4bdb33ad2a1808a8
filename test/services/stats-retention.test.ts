import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { pruneStatMinutes, STATS_RETENTION_DAYS } from "../../src/services/stats-retention.ts";
import { statsTimeseries } from "../../src/services/stats.ts";
import { bumpStatSync, minuteOf } from "../../src/storage/stats.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

const DAY = 24 * 3600_000;
const RETENTION = STATS_RETENTION_DAYS * DAY;

/** Writes one "sent" bucket per time given, for the company. */
function bucketsAt(companyId: string, times: number[]): void {
  sys.deps.storage.env.transactionSync(() => {
    for (const t of times) bumpStatSync(sys.deps.storage, companyId, t, "sent");
  });
}

/** The minutes a company has buckets for, oldest first. */
function minutesOf(companyId: string): number[] {
  return [...sys.deps.storage.db("statsMinutes").getKeys({ start: [companyId], end: [companyId, Infinity] })].map((k) => (k as [string, number])[1]);
}

test("the minute tick removes per-minute stats past the retention and keeps the rest, for every company", async () => {
  sys = makeSystem();
  const a = (await makeCompany(sys)).company.id;
  const b = (await makeCompany(sys, "Other")).company.id;
  const now = sys.clock.now();
  const kept = [now - RETENTION + 60_000, now - DAY, now];
  for (const c of [a, b]) bucketsAt(c, [now - RETENTION - 60_000, now - RETENTION - 7 * DAY, ...kept]);
  await sys.tick();
  for (const c of [a, b]) expect(minutesOf(c)).toEqual(kept.map(minuteOf));
  expect(statsTimeseries(sys.deps, a, 1)).toEqual([{ t: new Date(minuteOf(now) * 60_000).toISOString(), sent: 1, delivered: 0, failed: 0 }]);

  // A day later the oldest kept minute has aged out too.
  sys.clock.advance(DAY);
  await sys.tick();
  for (const c of [a, b]) expect(minutesOf(c)).toEqual(kept.slice(1).map(minuteOf));
});

test("prunes at most a batch per run, oldest first, until nothing old is left", async () => {
  sys = makeSystem();
  const a = (await makeCompany(sys)).company.id;
  const b = (await makeCompany(sys, "Other")).company.id;
  const now = sys.clock.now();
  const old = (n: number) => Array.from({ length: n }, (_, i) => now - RETENTION - (i + 1) * 60_000);
  bucketsAt(a, [...old(12), now]);
  bucketsAt(b, [...old(5), now]);
  const oldestOfA = minutesOf(a).slice(0, 5);
  expect(await pruneStatMinutes(sys.deps, now, 5)).toBe(5);
  for (const m of oldestOfA) expect(minutesOf(a)).not.toContain(m);
  const removed = [5];
  for (let n = -1; n !== 0; removed.push(n)) n = await pruneStatMinutes(sys.deps, now, 5);
  expect(removed).toEqual([5, 5, 5, 2, 0]);
  expect(minutesOf(a)).toEqual([minuteOf(now)]);
  expect(minutesOf(b)).toEqual([minuteOf(now)]);
});
