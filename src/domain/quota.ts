/**
 * An account's sending quota per minute, from its numbers' rates.
 *
 *   quotaPerMinute = min( floor( Σ mps(number) × 60 × 0.9 ), perMinuteCap )
 *
 * where mps(number) is the number's own `mps` when set, else the default for its type
 * (long code 1 msg/s, toll-free 3 msg/s, short code 100 msg/s). The 0.9 safety factor keeps us
 * under the provider's per-number throughput so a campaign neither burns a number nor gets throttled.
 * No numbers → 0 (nothing can be sent). Pure: no I/O.
 */

export type NumberType = "long_code" | "toll_free" | "short_code";

export const NUMBER_TYPES: readonly NumberType[] = ["long_code", "toll_free", "short_code"];

/** Messages per second a number of each type may send when it has no `mps` of its own. */
export const DEFAULT_MPS: Readonly<Record<NumberType, number>> = { long_code: 1, toll_free: 3, short_code: 100 };

/** Share of the numbers' nominal throughput we actually use. */
export const SAFETY_FACTOR = 0.9;

/** The rate a number sends at: its override, else its type's default. */
export function effectiveMps(n: { type: NumberType; mps?: number }): number {
  return n.mps ?? DEFAULT_MPS[n.type];
}

/** The account's per-minute quota (formula above). `perMinuteCap` undefined or null means no cap. */
export function quotaPerMinute(numbers: ReadonlyArray<{ type: NumberType; mps?: number }>, perMinuteCap?: number | null): number {
  const mps = numbers.reduce((sum, n) => sum + effectiveMps(n), 0);
  // × 60 × 0.9 as × 54 with a tiny epsilon, so float noise (e.g. 0.1 mps steps) never floors one message away.
  const quota = Math.floor(mps * 60 * SAFETY_FACTOR + 1e-9);
  return perMinuteCap == null ? quota : Math.min(quota, perMinuteCap);
}
