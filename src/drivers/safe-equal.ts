/** Constant-time string comparison for webhook signatures. */
import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/**
 * True when `a` and `b` are the same string, compared with `timingSafeEqual`. Returning early on a length
 * mismatch leaks nothing: the expected length is fixed by the algorithm, not secret.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
