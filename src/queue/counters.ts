import type { Database } from "lmdb";

/** The durable per-queue counters kept in `queueStats`. */
export type CounterName = "ready" | "delayed" | "dead" | "completed";

/**
 * Counter changes gathered during one write transaction and applied at its end with one
 * read-modify-write per counter. Must be used inside a write transaction, so the counts
 * change atomically with the records they count.
 */
export class CounterDeltas {
  private readonly deltas = new Map<string, [string, CounterName, number]>();

  /** Adds `delta` to `queue`'s `counter`. */
  add(queue: string, counter: CounterName, delta: number): void {
    const id = `${queue}\u0000${counter}`;
    const entry = this.deltas.get(id);
    if (entry) entry[2] += delta;
    else this.deltas.set(id, [queue, counter, delta]);
  }

  /** Writes every non-zero change into `stats`; call last inside the transaction. */
  apply(stats: Database<number, any>): void {
    for (const [queue, counter, delta] of this.deltas.values()) {
      if (delta === 0) continue;
      const key = [queue, counter];
      stats.putSync(key, (stats.get(key) ?? 0) + delta);
    }
    this.deltas.clear();
  }
}

/** Reads one durable counter (0 when never written). */
export function readCounter(stats: Database<number, any>, queue: string, counter: CounterName): number {
  return stats.get([queue, counter]) ?? 0;
}
