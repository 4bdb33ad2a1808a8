import { CounterBatch } from "./campaigns.ts";
import type { Storage } from "./db.ts";
import { StatBatch } from "./stats.ts";

/**
 * Accumulators shared by every write of one combined transaction: campaign counters and minute stats are
 * changed in memory by each write and stored once, at the end, with one read-modify-write per key.
 */
export class TxnBatch {
  readonly counters: CounterBatch;
  readonly stats: StatBatch;
  constructor(s: Storage) {
    this.counters = new CounterBatch(s);
    this.stats = new StatBatch(s);
  }

  flushSync(): void {
    this.counters.flushSync();
    this.stats.flushSync();
  }
}

interface Pending {
  fn: (b: TxnBatch) => unknown;
  ok: boolean;
  value: unknown;
}

interface Open {
  items: Pending[];
  done: Promise<void>;
}

const open = new WeakMap<Storage, Open>();

/**
 * Runs `fn` inside a write transaction and resolves with its result once committed — like
 * `env.transaction(fn)`, but every `batchedWrite` issued before lmdb starts its next write batch runs in
 * one callback, in call order, sharing one TxnBatch. The hot message writes (send claims and results,
 * delivery reports) use it: hundreds of them per commit then cost one counter write, not hundreds. No
 * waiting is added: the callback is requested at the first call and fills itself until lmdb runs it.
 * As with any lmdb-js async transaction, a throwing `fn` cannot roll back what it wrote: check, then write.
 * Its error rejects its own promise only.
 */
export function batchedWrite<T>(s: Storage, fn: (b: TxnBatch) => T): Promise<T> {
  let batch = open.get(s);
  if (!batch) {
    const fresh: Open = { items: [], done: Promise.resolve() };
    open.set(s, fresh);
    fresh.done = s.env.transaction(() => {
      if (open.get(s) === fresh) open.delete(s);
      const b = new TxnBatch(s);
      for (const item of fresh.items) {
        try {
          item.value = item.fn(b);
        } catch (e) {
          item.ok = false;
          item.value = e;
        }
      }
      b.flushSync();
    }) as Promise<void>;
    if (open.get(s) !== fresh) return runAlone(s, fn); // inside a caller's transaction: lmdb ran it already
    batch = fresh;
  }
  const item: Pending = { fn, ok: true, value: undefined };
  batch.items.push(item);
  return batch.done.then(() => {
    if (!item.ok) throw item.value;
    return item.value as T;
  });
}

/** Inside a caller's transaction: run now, joining it. */
function runAlone<T>(s: Storage, fn: (b: TxnBatch) => T): Promise<T> {
  try {
    const b = new TxnBatch(s);
    const value = fn(b);
    b.flushSync();
    return Promise.resolve(value);
  } catch (e) {
    return Promise.reject(e);
  }
}
