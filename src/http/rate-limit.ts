import type { Clock } from "../clock.ts";

/**
 * Counts failures per key in a sliding window (in memory: one process owns the app).
 * Used to slow down password guessing on login.
 */
export class FailureLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly clock: Clock,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** True when `key` has reached the limit within the window. */
  isBlocked(key: string): boolean {
    return this.recent(key).length >= this.max;
  }

  /** Records one failure for `key`. */
  fail(key: string): void {
    const list = this.recent(key);
    list.push(this.clock.now());
    this.hits.set(key, list);
    if (this.hits.size > 10_000) this.prune();
  }

  /** Forgets `key` (after a success). */
  reset(key: string): void {
    this.hits.delete(key);
  }

  /** Milliseconds until `key` may try again. */
  retryAfterMs(key: string): number {
    const list = this.recent(key);
    return list.length ? Math.max(0, list[0]! + this.windowMs - this.clock.now()) : 0;
  }

  private recent(key: string): number[] {
    const since = this.clock.now() - this.windowMs;
    return (this.hits.get(key) ?? []).filter((t) => t > since);
  }

  private prune(): void {
    for (const key of [...this.hits.keys()]) if (!this.recent(key).length) this.hits.delete(key);
  }
}
