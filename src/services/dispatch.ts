import type { Deps } from "../deps.ts";
import { quotaPerMinute } from "../domain/quota.ts";
import { isInsideWindow } from "../domain/quiet-hours.ts";
import { getAccountById, listNumbers } from "../storage/accounts.ts";
import { CounterBatch, getCampaign } from "../storage/campaigns.ts";
import { getMessage, type Message, PendingChanges, pendingZones, putMessageSync, samplePending } from "../storage/messages.ts";
import { getRecipient, putRecipientSync } from "../storage/recipients.ts";
import { isSuppressed } from "../storage/suppressions.ts";
import { getComplianceSettings } from "./compliance.ts";
import { pickSender } from "./senders.ts";
import { SEND_JOB, type SendJob } from "./sending.ts";
import type { Throttle } from "./throttle.ts";
import type { JobSpec } from "../queue/types.ts";

/** Messages examined per write transaction while queueing. */
const QUEUE_BATCH = 250;
/** Rounds of QUEUE_BATCH in flight at once (picked, not yet committed). */
const PIPELINE = 3;
/**
 * Dispatch hurries only until the jobs it creates are due this far ahead (real time since it began); beyond
 * that it goes one round at a time and rests REST_SHARE times as long as the round held the event loop. A
 * 5,000/s account used to take its minute's 300,000 at full speed in the first ~20 s, and webhooks waited
 * behind the rounds (bench:mixed: webhook p99 70 ms during the burst, 24 ms once it was done).
 */
const DISPATCH_LEAD_MS = 5_000;
const REST_SHARE = 2;
const MAX_REST_MS = 100;

export interface DispatchResult {
  accountId: string;
  quota: number;
  queued: number;
  skipped: number;
  /** Write transactions used (rounds of up to QUEUE_BATCH picks). */
  rounds: number;
}

/**
 * Hands one account its quota for the minute starting at `now`: samples pending messages in random order,
 * fairly across the account's running campaigns and only from time zones inside their sending window,
 * applies suppression and the frequency cap, and queues one send job per message spread evenly over
 * `spreadMs` (job i due at now + i × spreadMs / quota). Unused quota is not carried over.
 *
 * Dispatches never overlap: each records how far its jobs reach (`meta` ["dispatchedUntil", accountId], in the
 * rounds' transactions), and a tick that comes before that (the catch-up tick of a restart mid-minute, whose
 * predecessor's jobs are still queued) starts its jobs there and hands out only the part of the quota that fits
 * before now + spreadMs. No spreadMs-long window then holds more than one quota of jobs.
 */
export async function dispatchAccount(
  deps: Deps,
  throttle: Throttle,
  accountId: string,
  campaigns: Array<{ campaignId: string; companyId: string }>,
  now: number,
  spreadMs = 60_000,
): Promise<DispatchResult> {
  const s = deps.storage;
  const account = getAccountById(s, accountId);
  const result: DispatchResult = { accountId, quota: 0, queued: 0, skipped: 0, rounds: 0 };
  if (!account || account.paused) return result;
  const pool = listNumbers(s, account.companyId, accountId);
  const numbers = pool.map((n) => n.number).sort();
  // The full minute's quota sets the spacing of the jobs; `quota` is what fits after earlier dispatches' jobs.
  const full = throttle.adjust(accountId, quotaPerMinute(pool, account.perMinuteCap), now);
  const gapMs = spreadMs > 0 && full > 0 ? spreadMs / full : 0;
  const first = firstFreeAt(deps, accountId, now, spreadMs);
  const quota = spreadMs > 0 ? Math.floor((full * (now + spreadMs - first)) / spreadMs) : full;
  result.quota = quota;
  if (quota <= 0 || numbers.length === 0) return result;
  const settings = getComplianceSettings(s, account.companyId);
  const capMs = settings.frequencyCapHours * 3600_000;
  // Rounds of QUEUE_BATCH: each picks fairly, commits in its own transaction callback, and yields, so a large
  // quota never blocks the event loop (API reads and webhooks keep answering). Up to PIPELINE rounds are in
  // flight: the next round is picked while the last one commits, skipping the ids that rounds not yet
  // committed hold (`taken`); the commit wait, not the work, used to bound the rate. Skipped messages do not
  // use quota; a round that settles nothing (e.g. the campaign was paused meanwhile) ends the minute.
  const taken = new Set<string>();
  const inFlight: Array<Promise<number>> = [];
  let stop = false;
  const started = performance.now();
  let lastRoundMs = 0;
  // How far ahead of the wall clock the next job will be due (spreadMs 0: never ahead).
  const ahead = () => first - now + result.queued * gapMs - (performance.now() - started);
  for (;;) {
    const room = quota - result.queued - taken.size;
    const hurry = ahead() <= DISPATCH_LEAD_MS;
    if (!stop && room > 0 && inFlight.length < (hurry ? PIPELINE : 1)) {
      const picks = pickFairly(deps, campaigns, Math.min(QUEUE_BATCH, room), now, settings.quietHours, settings.timezone, taken);
      if (picks.length > 0) {
        for (const id of picks) taken.add(id);
        result.rounds++;
        inFlight.push(queueRound(picks).finally(() => picks.forEach((id) => taken.delete(id))));
        continue;
      }
      stop = true;
    }
    const round = inFlight.shift();
    if (!round) break;
    if ((await round) === 0) stop = true;
    if (ahead() > DISPATCH_LEAD_MS) await new Promise((r) => setTimeout(r, Math.min(MAX_REST_MS, REST_SHARE * lastRoundMs)));
    else await new Promise((r) => setImmediate(r));
  }
  return result;

  /** Queues (or skips) the picked messages still pending in one transaction; resolves with how many it settled. */
  function queueRound(picks: string[]): Promise<number> {
    return s.env.transaction(() => {
      const t0 = performance.now();
      const before = result.queued + result.skipped;
      const counters = new CounterBatch(s);
      const removals = new PendingChanges(s);
      const jobs: JobSpec<SendJob>[] = [];
      for (const id of picks) {
        if (result.queued >= quota) break;
        const m = getMessage(s, id);
        if (!m || m.status !== "pending" || !m.campaignId) continue;
        const c = getCampaign(s, m.companyId, m.campaignId);
        if (!c || c.status !== "running") continue;
        removals.remove(m);
        const rec = getRecipient(s, m.companyId, m.to);
        const reason = isSuppressed(s, m.companyId, m.to)
          ? "suppressed"
          : capMs > 0 && rec?.lastCampaignAt !== undefined && rec.lastCampaignMsg !== m.id && now - rec.lastCampaignAt < capMs
            ? "frequency_cap"
            : undefined;
        if (reason) {
          putMessageSync(s, { ...m, status: "skipped", reason });
          counters.move(m.campaignId, "pending", "skipped");
          counters.add(m.campaignId, `skip:${reason}`, 1);
          result.skipped++;
          continue;
        }
        const from = pickSender(numbers, m.to);
        const queued: Message = { ...m, status: "queued", from, queuedAt: now };
        putMessageSync(s, queued);
        // Reserve the recipient now, so a second campaign in this same minute sees the cap.
        putRecipientSync(s, m.companyId, m.to, { ...rec, lastCampaignAt: now, lastCampaignMsg: m.id, prevCampaignMsg: rec?.lastCampaignMsg === m.id ? rec.prevCampaignMsg : rec?.lastCampaignMsg });
        counters.move(m.campaignId, "pending", "queued");
        const job: SendJob = { messageId: m.id, companyId: m.companyId, accountId, to: m.to, from, body: m.body, tz: m.tz };
        // No idempotency key: the send job only acts on a message still `queued`, so a second one is harmless.
        jobs.push({ name: SEND_JOB, data: job, runAt: first + Math.floor(result.queued * gapMs) });
        result.queued++;
      }
      deps.queue.enqueueManySync(jobs);
      if (jobs.length > 0) s.db("meta").putSync(dispatchedUntilKey(accountId), first + Math.floor(result.queued * gapMs));
      removals.flushSync();
      counters.flushSync();
      lastRoundMs = performance.now() - t0;
      return result.queued + result.skipped - before;
    }) as Promise<number>;
  }
}

const dispatchedUntilKey = (accountId: string) => ["dispatchedUntil", accountId];

/** Earlier jobs reaching less than this past `now` do not count as an overlap (a cron tick a little early). */
const OVERLAP_TOLERANCE_MS = 1_000;

/**
 * When this dispatch's first job may be due: `now`, or where the account's earlier dispatches' jobs end when
 * that is later. A mark beyond now + spreadMs cannot come from a dispatch (the clock went back): ignored.
 */
function firstFreeAt(deps: Deps, accountId: string, now: number, spreadMs: number): number {
  const until = deps.storage.db("meta").get(dispatchedUntilKey(accountId)) as number | undefined;
  if (until === undefined || until - now <= OVERLAP_TOLERANCE_MS || until > now + spreadMs + OVERLAP_TOLERANCE_MS) return now;
  return until;
}

/**
 * Chooses up to `quota` pending message ids: an equal share per campaign (water-filling: what one campaign
 * cannot use goes to the others), each share sampled at random from the zones inside the sending window,
 * proportionally to how many each zone holds.
 */
function pickFairly(
  deps: Deps,
  campaigns: Array<{ campaignId: string }>,
  quota: number,
  now: number,
  window: { start: string; end: string },
  companyTz: string,
  taken: ReadonlySet<string>,
): string[] {
  const s = deps.storage;
  const open = campaigns
    .map(({ campaignId }) => {
      const zones = pendingZones(s, campaignId).filter((z) => isInsideWindow(window, z.tz || companyTz, now));
      return { campaignId, zones, avail: zones.reduce((n, z) => n + z.n, 0) };
    })
    .filter((c) => c.avail > 0)
    .sort((a, b) => a.avail - b.avail);
  const picked: string[] = [];
  let remaining = quota;
  open.forEach((c, i) => {
    const share = Math.min(c.avail, Math.ceil(remaining / (open.length - i)));
    const got = takeFromZones(s, c.campaignId, c.zones, c.avail, share, taken);
    picked.push(...got);
    remaining -= got.length;
  });
  return shuffle(picked);
}

/** Takes `want` ids from a campaign's zones, each zone giving its proportional part. */
function takeFromZones(s: Deps["storage"], campaignId: string, zones: Array<{ tz: string; n: number }>, avail: number, want: number, taken: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let left = want;
  zones.forEach((z, i) => {
    const part = i === zones.length - 1 ? left : Math.min(left, Math.round((want * z.n) / avail));
    if (part <= 0) return;
    // Read past the ids that uncommitted rounds hold (still in the index until their commit).
    let got = 0;
    for (const g of samplePending(s, campaignId, z.tz, part + taken.size)) {
      if (got >= part) break;
      if (taken.has(g.id)) continue;
      out.push(g.id);
      got++;
    }
    left = want - out.length;
  });
  return out;
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
