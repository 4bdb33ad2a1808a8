import type { FailureOutcome } from "./failure.ts";
import type { QueueLeases } from "./leases.ts";
import type { RateWindow } from "./rate-window.ts";
import type { Job } from "./types.ts";

/** A failed job whose outcome was written; no outcome when the write itself failed. */
export interface SettledFailure {
  job: Job;
  outcome?: FailureOutcome;
}

/**
 * After a batch of outcomes committed (or failed to): drops the leases, counts completions in
 * the per-minute rate, and rewinds lease cursors over jobs that are still in jobsReady (a retry
 * due now, or a batch whose write failed) so they are handed out again. Returns the earliest
 * runAt of the jobs parked for a later retry, or Infinity.
 */
export function releaseOutcomes(
  leases: Map<string, QueueLeases>,
  rates: Map<string, RateWindow>,
  acks: readonly Job[],
  failures: readonly SettledFailure[],
  now: number,
): number {
  let queue = "";
  let current: QueueLeases | undefined;
  let run = 0;
  const closeRun = () => {
    if (run === 0 || !current) return;
    current.settling -= run;
    rates.get(queue)?.add(run, now);
  };
  for (const job of acks) {
    if (job.queue !== queue) {
      closeRun();
      queue = job.queue;
      current = leases.get(queue);
      run = 0;
    }
    current?.leased.delete(Number(job.id));
    run++;
  }
  closeRun();
  let parkedUntil = Infinity;
  for (const { job, outcome } of failures) {
    const seq = Number(job.id);
    const l = leases.get(job.queue);
    if (!l) continue;
    l.leased.delete(seq);
    l.settling--;
    if (!outcome || (outcome.kind === "retry" && outcome.runAt <= now)) l.rewind(seq);
    else if (outcome.kind === "retry") parkedUntil = Math.min(parkedUntil, outcome.runAt);
  }
  return parkedUntil;
}
