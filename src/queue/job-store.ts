import type { Database } from "lmdb";
import type { Storage } from "../storage/db.ts";
import { CounterDeltas } from "./counters.ts";
import type { FailureOutcome } from "./failure.ts";
import { fromTuple, toTuple, type JobTuple } from "./job-record.ts";
import type { Job, JobState } from "./types.ts";

/** Upper bound for the second element of range ends (job seqs and run times stay below it). */
export const KEY_MAX = Number.MAX_SAFE_INTEGER;
const SEQ_KEY = ["", "seq"];
const INBOX_MARK_KEY = ["", "inboxMark"];

/**
 * The queue's records in LMDB (layouts in storage/keys.ts). Every method that writes must be
 * called inside a write transaction and records its counter changes in the given deltas, so a
 * record and its counters always commit together. No method here awaits anything.
 */
export class JobStore {
  readonly delayed: Database<JobTuple, number>;
  readonly ready: Database<JobTuple, [string, number]>;
  readonly due: Database<string, [number, number]>;
  readonly keys: Database<number, string>;
  readonly dead: Database<JobTuple, [string, number]>;
  readonly stats: Database<number, any>;

  constructor(storage: Storage) {
    this.delayed = storage.db("jobs");
    this.ready = storage.db("jobsReady");
    this.due = storage.db("jobsDue");
    this.keys = storage.db("jobKeys");
    this.dead = storage.db("jobsDead");
    this.stats = storage.db("queueStats");
  }

  /** The next unused jobSeq as last committed. */
  readSeq(): number {
    return this.stats.get(SEQ_KEY) ?? 1;
  }

  /** Records that seqs below `next` are used; in the same transaction as the jobs using them. */
  writeSeq(next: number): void {
    this.stats.putSync(SEQ_KEY, next);
  }

  /** The highest inbox number already moved into the queue (0: none). */
  readInboxMark(): number {
    return this.stats.get(INBOX_MARK_KEY) ?? 0;
  }

  /** Records that inbox entries up to `mark` are moved; in the same transaction as the jobs made from them. */
  writeInboxMark(mark: number): void {
    this.stats.putSync(INBOX_MARK_KEY, mark);
  }

  /** Stores a new job as ready (runAt ≤ now) or delayed, and claims its idempotency key. */
  insert(seq: number, job: Job, now: number, d: CounterDeltas): void {
    if (job.key !== undefined) this.keys.putSync(job.key, seq);
    if (job.runAt > now) this.park(seq, job, d);
    else {
      this.ready.putSync([job.queue, seq], toTuple(job));
      d.add(job.queue, "ready", 1);
    }
  }

  /** Removes completed jobs and releases their idempotency keys (counters summed per run of one queue). */
  ackMany(jobs: readonly Job[], d: CounterDeltas): void {
    let queue = "";
    let removed = 0;
    for (const job of jobs) {
      if (job.queue !== queue) {
        if (removed > 0) this.countAcks(queue, removed, d);
        queue = job.queue;
        removed = 0;
      }
      const seq = Number(job.id);
      if (!this.ready.removeSync([queue, seq])) continue;
      removed++;
      if (job.key !== undefined) this.releaseKey(job.key, seq);
    }
    if (removed > 0) this.countAcks(queue, removed, d);
  }

  private countAcks(queue: string, n: number, d: CounterDeltas): void {
    d.add(queue, "ready", -n);
    d.add(queue, "completed", n);
  }

  /** Applies a failed attempt: retry in place (due now), park until runAt, or dead-letter. */
  fail(seq: number, job: Job, outcome: FailureOutcome, now: number, d: CounterDeltas): void {
    const updated: Job = { ...job, attempts: outcome.attempts, lastError: outcome.error, state: undefined };
    const readyKey: [string, number] = [job.queue, seq];
    if (outcome.kind === "retry" && outcome.runAt <= now) {
      if (this.ready.get(readyKey) === undefined) return;
      this.ready.putSync(readyKey, toTuple({ ...updated, runAt: outcome.runAt }));
      return;
    }
    if (!this.ready.removeSync(readyKey)) return;
    d.add(job.queue, "ready", -1);
    if (outcome.kind === "retry") this.park(seq, { ...updated, runAt: outcome.runAt }, d);
    else this.bury(seq, { ...updated, deadAt: now }, d);
  }

  /**
   * Moves up to `limit` delayed jobs due at `now` into jobsReady, oldest due first.
   * Returns how many moved and the smallest promoted seq per queue (where lease cursors rewind to).
   */
  promote(now: number, limit: number, d: CounterDeltas): { count: number; minSeq: Map<string, number> } {
    const promoted = new Map<string, number>();
    let count = 0;
    const due = [...this.due.getRange({ end: [now, KEY_MAX], limit })];
    for (const { key, value: queue } of due) {
      const seq = key[1];
      this.due.removeSync(key);
      const tuple = this.delayed.get(seq);
      if (!tuple) continue;
      this.delayed.removeSync(seq);
      this.ready.putSync([queue, seq], tuple);
      d.add(queue, "delayed", -1);
      d.add(queue, "ready", 1);
      promoted.set(queue, Math.min(promoted.get(queue) ?? KEY_MAX, seq));
      count++;
    }
    return { count, minSeq: promoted };
  }

  /** The largest jobSeq stored anywhere, so ids are never reused even if the seq record lags. */
  maxStoredSeq(queues: readonly string[]): number {
    let max = 0;
    for (const k of this.delayed.getKeys({ reverse: true, limit: 1 })) max = Math.max(max, k);
    for (const q of queues) {
      for (const db of [this.ready, this.dead]) {
        for (const k of db.getKeys({ start: [q, KEY_MAX], end: [q], reverse: true, limit: 1 })) max = Math.max(max, k[1]);
      }
    }
    return max;
  }

  /** Finds a job wherever it is; `running` is decided by the caller, which owns the leases. */
  find(seq: number, queues: readonly string[]): { job: Job; state: JobState } | undefined {
    const parked = this.delayed.get(seq);
    if (parked) return { job: fromTuple(seq, parked), state: "delayed" };
    for (const q of queues) {
      const ready = this.ready.get([q, seq]);
      if (ready) return { job: fromTuple(seq, ready), state: "ready" };
      const dead = this.dead.get([q, seq]);
      if (dead) return { job: fromTuple(seq, dead), state: "dead" };
    }
    return undefined;
  }

  /** Moves a dead letter back to ready with its attempts reset; false when it is not dead. */
  revive(seq: number, queues: readonly string[], now: number, d: CounterDeltas): string | undefined {
    for (const q of queues) {
      const tuple = this.dead.get([q, seq]);
      if (!tuple) continue;
      const job = fromTuple(seq, tuple);
      this.dead.removeSync([q, seq]);
      d.add(q, "dead", -1);
      this.ready.putSync([q, seq], toTuple({ ...job, attempts: 0, runAt: now, deadAt: undefined }));
      d.add(q, "ready", 1);
      return q;
    }
    return undefined;
  }

  /** Deletes a dead letter and releases its idempotency key; false when it is not dead. */
  discard(seq: number, queues: readonly string[], d: CounterDeltas): boolean {
    for (const q of queues) {
      const tuple = this.dead.get([q, seq]);
      if (!tuple) continue;
      this.dead.removeSync([q, seq]);
      d.add(q, "dead", -1);
      this.releaseKey(fromTuple(seq, tuple).key, seq);
      return true;
    }
    return false;
  }

  private park(seq: number, job: Job, d: CounterDeltas): void {
    this.delayed.putSync(seq, toTuple(job));
    this.due.putSync([job.runAt, seq], job.queue);
    d.add(job.queue, "delayed", 1);
  }

  private bury(seq: number, job: Job, d: CounterDeltas): void {
    this.dead.putSync([job.queue, seq], toTuple(job));
    d.add(job.queue, "dead", 1);
  }

  private releaseKey(key: string | undefined, seq: number): void {
    if (key !== undefined && this.keys.get(key) === seq) this.keys.removeSync(key);
  }
}
