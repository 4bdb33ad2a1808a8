/**
 * In-memory leases of one queue. A single process owns the LMDB environment, so a lease
 * does not need to be stored: a leased job stays in `jobsReady` until its outcome commits,
 * and after a restart every job not acknowledged is simply handed out again.
 *
 * `cursor` is the highest jobSeq handed out; every ready key at or below it is leased, so the
 * next lease reads from `cursor + 1`. Anything that makes a key at or below the cursor leasable
 * again (a retry in place, a promotion of an old delayed job, a revived dead letter) lowers the
 * cursor once it is committed, and the next read skips the keys still leased.
 */
export class QueueLeases {
  cursor = -1;
  readonly leased = new Set<number>();
  /** Leased jobs whose handler has finished and whose outcome is waiting to commit. */
  settling = 0;

  /** Jobs being run by a handler right now. */
  get running(): number {
    return this.leased.size - this.settling;
  }

  /** Makes sure keys from `seq` on are read again by the next lease. */
  rewind(seq: number): void {
    if (seq - 1 < this.cursor) this.cursor = seq - 1;
  }
}
