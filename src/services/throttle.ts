/**
 * Per-account slow-down after provider throttling (429 / Retry-After): the tick's quota is multiplied by
 * a factor that halves on each throttle (down to 10%) and recovers by 25% per clean minute.
 * In memory: after a restart, sending starts at full quota again.
 */
export class Throttle {
  private readonly state = new Map<string, { factor: number; until: number; last: number }>();

  /** Records a throttle signal for `accountId` at `now`, pausing it until `retryAfterMs` has passed. */
  hit(accountId: string, now: number, retryAfterMs = 0): void {
    const st = this.state.get(accountId) ?? { factor: 1, until: 0, last: now };
    st.factor = Math.max(0.1, st.factor / 2);
    st.until = Math.max(st.until, now + retryAfterMs);
    st.last = now;
    this.state.set(accountId, st);
  }

  /** True while the provider asked us to wait. */
  isHeld(accountId: string, now: number): boolean {
    return (this.state.get(accountId)?.until ?? 0) > now;
  }

  /** The quota to use this minute, given the computed one. */
  adjust(accountId: string, quota: number, now: number): number {
    const st = this.state.get(accountId);
    if (!st) return quota;
    if (st.until > now) return 0;
    const minutes = Math.floor((now - st.last) / 60_000);
    if (minutes > 0) {
      st.factor = Math.min(1, st.factor * 1.25 ** minutes);
      st.last = now;
    }
    if (st.factor >= 1) this.state.delete(accountId);
    return Math.floor(quota * st.factor);
  }
}
