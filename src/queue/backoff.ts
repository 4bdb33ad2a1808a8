import type { BackoffOptions } from "./types.ts";

/** Retry delays used when a queue sets none: 1 s, 2 s, 4 s … capped at one hour. */
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 1_000, maxMs: 3_600_000 });

/**
 * The delay before retry number `attempt` (1 = first retry): exponential growth
 * `baseMs · 2^(attempt-1)` capped at `maxMs`, with "equal jitter": the result lies in
 * [half, whole] of that, so retries of many jobs failing together spread out but never
 * come back sooner than half the nominal delay. Pure; `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 52));
  const nominal = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
