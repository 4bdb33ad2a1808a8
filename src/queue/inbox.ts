import type { RootDatabase } from "lmdb";
import type { Logger } from "../log.ts";
import type { Job, JobSpec } from "./types.ts";

/** An accepted job as stored in the inbox: [name, queue, data, maxAttempts, key, runAt] (layout in storage/keys.ts). */
export type InboxEntry = [string, string, unknown, number, string | null, number | null];

/** The inbox entry for a prepared job; `runAt` only when the spec asked for one (else it is due when moved). */
export function toInboxEntry(job: Job, runAt: number | undefined): InboxEntry {
  return [job.name, job.queue, job.data, job.maxAttempts, job.key ?? null, runAt ?? null];
}

/** The job spec an inbox entry stands for. */
export function fromInboxEntry([name, queue, data, maxAttempts, key, runAt]: InboxEntry): JobSpec {
  return { name, queue, data, maxAttempts, key: key ?? undefined, runAt: runAt ?? undefined };
}

/** Applies moved jobs' data inside a transaction; returns the specs to queue after all (see `JobQueue.absorb`). */
export type Absorber = (data: unknown[]) => JobSpec[];

/**
 * The job specs to store for moved inbox entries: each as it was accepted, except those due now whose job name has
 * an absorber — their data goes to it, grouped by name, in order, and what it returns is stored instead. Runs
 * inside the move's transaction (absorbers write in it).
 */
export function specsToStore(entries: InboxEntry[], absorbers?: ReadonlyMap<string, Absorber>): JobSpec[] {
  const specs: JobSpec[] = [];
  const absorbed = new Map<string, unknown[]>();
  for (const entry of entries) {
    const spec = fromInboxEntry(entry);
    if (!absorbers?.has(spec.name) || spec.runAt !== undefined) {
      specs.push(spec);
      continue;
    }
    let data = absorbed.get(spec.name);
    if (!data) absorbed.set(spec.name, (data = []));
    data.push(spec.data);
  }
  for (const [name, data] of absorbed) specs.push(...absorbers!.get(name)!(data));
  return specs;
}

/**
 * Inbox entries moved into the queue per main transaction (about: whole inbox records move together). Absorbed
 * ones (delivery reports) are applied in it, ~25 µs each on the event loop: 500 keep a move under ~15 ms.
 */
const INBOX_BATCH = 500;

/** Records kept in memory for the move at most (InboxMover.recent). */
const RECENT_MAX = 10_000;

/** One inbox record: the entries accepted in one event-loop turn (older versions stored one entry a record). */
type InboxRecord = InboxEntry[] | InboxEntry;

/** The entries of an inbox record, in order. */
const entriesOf = (record: InboxRecord): InboxEntry[] => (Array.isArray(record[0]) ? (record as InboxEntry[]) : [record as InboxEntry]);

export interface InboxMoverOptions {
  /** The inbox environment (storage/db.ts). */
  inbox: RootDatabase<unknown, number>;
  /** The highest record number already moved (stored in the main environment). */
  readMark: () => number;
  /**
   * Stores the entries as jobs and the new mark (`key`: the last record's number) in ONE main transaction.
   * Entries come with the number of the record that holds them.
   */
  move: (entries: Array<{ key: number; value: InboxEntry }>) => Promise<void>;
  log?: Logger;
}

/**
 * The inbox half of `JobQueue.accept`: appends entries (durable once the inbox environment commits), then moves
 * committed ones into the queue, oldest first, in batches — `move` writes them with the mark, so an entry moves
 * exactly once even if a crash comes before its inbox delete — and deletes them from the inbox. Entries a crash
 * left behind are moved (or, when at or below the mark, only deleted) at start-up. The entries accepted in one
 * event-loop turn share one record (one put, one promise, one key to move and delete): concurrent webhooks
 * arrive in bursts, and a put per request cost more than the request's own work.
 *
 * The inbox environment starts each write at once (storage/db.ts `INBOX_WRITES`): with lmdb's default, its
 * writer thread began one event-loop turn after the put, and under a 5,000/s campaign the append took p99 60 ms
 * (bench:mixed webhook p99 53–73 ms; now 35–43 ms). A synchronous commit on this thread was as quick on average
 * but put the flush to disk on the event loop (a 65 ms stall seen under the import's writes). The append
 * resolves at commit (overlappingSync: safe against kill -9; `env.flushed` waits for the disk).
 */
export class InboxMover {
  private nextSeq: number;
  private running?: Promise<void>;
  private again = false;
  /** Entries of the current turn, and the promise that resolves once their record is committed. */
  private open?: { entries: InboxEntry[]; done: Promise<void> };
  /** Entries appended and not yet moved (for metrics; counted in memory, not by reading the inbox). */
  private unmoved = 0;
  /**
   * The records this process appended and has not moved yet, as appended: the move takes them from here instead
   * of decoding them back from the inbox (records a restart left behind are read from it). Bounded: past
   * RECENT_MAX records (a move falling far behind) new ones are read back like those.
   */
  private readonly recent = new Map<number, InboxEntry[]>();

  constructor(private readonly o: InboxMoverOptions) {
    let last = 0;
    for (const key of o.inbox.getKeys({ reverse: true, limit: 1 })) last = key;
    this.nextSeq = Math.max(last, o.readMark()) + 1;
    for (const { value } of o.inbox.getRange({ start: o.readMark() + 1 })) this.unmoved += entriesOf(value as InboxRecord).length;
    if (last > 0) this.moveSoon();
  }

  /** Appends one entry; resolves once it is committed in the inbox. */
  add(entry: InboxEntry): Promise<void> {
    this.unmoved++;
    if (this.open) {
      this.open.entries.push(entry);
      return this.open.done;
    }
    const entries = [entry];
    let release!: () => void;
    const turn = new Promise<void>((r) => (release = r));
    const done = turn.then(async () => {
      this.open = undefined;
      const seq = this.nextSeq++;
      try {
        await this.o.inbox.put(seq, entries);
      } catch (error) {
        this.unmoved -= entries.length; // not stored: every caller of this record is told so
        throw error;
      }
      if (this.recent.size < RECENT_MAX) this.recent.set(seq, entries);
      this.moveSoon();
    });
    this.open = { entries, done };
    setImmediate(release); // after this turn's I/O callbacks: every request read in it joins the record
    return done;
  }

  /** Entries accepted and not yet moved. */
  depth(): number {
    return this.unmoved;
  }

  /** Resolves when no append or move is running or due. */
  async settled(): Promise<void> {
    while (this.open || this.running) {
      await this.open?.done.catch(() => undefined);
      await this.running;
    }
  }

  private moveSoon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.moveAll()
      .catch((error) => {
        this.o.log?.error("queue: moving accepted jobs from the inbox failed; retrying", { error: String(error) });
        setTimeout(() => this.moveSoon(), 1_000).unref?.();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.moveSoon();
        }
      });
  }

  private async moveAll(): Promise<void> {
    const inbox = this.o.inbox;
    for (;;) {
      const moved = this.o.readMark();
      // Records a crash left behind after their move committed: moved already, only delete them.
      const stale = [...inbox.getKeys({ end: moved + 1, limit: INBOX_BATCH })];
      for (const key of stale) this.recent.delete(key);
      if (stale.length) await inbox.transaction(() => stale.forEach((key) => inbox.removeSync(key)));
      const keys: number[] = [];
      const entries: Array<{ key: number; value: InboxEntry }> = [];
      for (const key of inbox.getKeys({ start: moved + 1 }) as Iterable<number>) {
        if (entries.length >= INBOX_BATCH) break;
        const record = this.recent.get(key) ?? entriesOf(inbox.get(key) as InboxRecord);
        keys.push(key);
        for (const entry of record) entries.push({ key, value: entry });
      }
      if (entries.length === 0) return;
      await this.o.move(entries);
      this.unmoved -= entries.length;
      for (const key of keys) this.recent.delete(key);
      await inbox.transaction(() => keys.forEach((key) => inbox.removeSync(key)));
    }
  }
}
