/**
 * Completions per second over the last minute, as a ring of 60 one-second buckets.
 * In memory only: after a restart the rate starts again from zero, which is what a
 * rate should do. Time comes from the caller so tests can use a fake clock.
 */
export class RateWindow {
  private readonly counts = new Float64Array(60);
  private readonly seconds = new Float64Array(60).fill(-1);

  /** Records `n` events at time `now` (epoch ms). */
  add(n: number, now: number): void {
    const second = Math.floor(now / 1000);
    const slot = second % 60;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += n;
  }

  /** Events recorded in the 60 seconds up to and including `now`'s second. */
  total(now: number): number {
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < 60; i++) {
      const s = this.seconds[i]!;
      if (s > second - 60 && s <= second) sum += this.counts[i]!;
    }
    return sum;
  }
}
