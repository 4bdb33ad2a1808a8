import { backoffDelay } from "./backoff.ts";
import { PermanentJobError, RetryLaterError, type BackoffOptions, type Job } from "./types.ts";

/** What happens to a job whose handler failed: run again at `runAt`, or go to the dead letters. */
export type FailureOutcome =
  | { kind: "retry"; runAt: number; attempts: number; error: string }
  | { kind: "dead"; attempts: number; error: string };

/**
 * Decides a failed job's fate. `PermanentJobError` → dead; `RetryLaterError` → retry after its
 * delay; anything else → retry with backoff. Every failure counts as an attempt, so a job that
 * keeps asking to be retried later still ends in the dead letters after `maxAttempts`. Pure.
 */
export function decideFailure(job: Job, error: unknown, now: number, backoff: BackoffOptions, random: () => number): FailureOutcome {
  const attempts = job.attempts + 1;
  const message = describeError(error);
  if (error instanceof PermanentJobError || attempts >= job.maxAttempts) return { kind: "dead", attempts, error: message };
  const delay = error instanceof RetryLaterError ? Math.max(0, error.afterMs) : backoffDelay(attempts, backoff, random);
  return { kind: "retry", runAt: now + delay, attempts, error: message };
}

/** A one-line description of anything thrown, for `Job.lastError` (no stack: it may reach the UI). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2_000);
  return String(error).slice(0, 2_000);
}
