import type { Journal, JournalRecord } from "../storage/journal.ts";
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
 * Inbox entries moved into the queue per main transaction (about: whole journal records move together). Absorbed
 * ones (delivery reports) are applied in it, ~25 µs each on the event loop: 500 keep a move under ~15 ms.
 */
const INBOX_BATCH = 500;
/** Under a flood (FLOOD_RATE), smaller batches: each holds the event loop ~2.5 ms instead of ~12 (requests' p99). */
const FLOOD_BATCH = 100;

/** Entries kept in memory for the move at most (past it, records are read back from the journal). */
const KEPT_MAX = 50_000;

/** A journal record not moved yet; `entries` as appended and when, if this process appended it (and kept them). */
interface Pending {
  record: JournalRecord;
  entries?: InboxEntry[];
  acceptedAt?: number;
}

/** A flood: more entries accepted in the last second than this (20 times the story's peak of 500 a second). */
export const FLOOD_RATE = 10_000;
/** Under a flood the move takes about this share of the event loop... */
export const FLOOD_MOVE_SHARE = 0.1;
/** ...until the oldest entry waiting was accepted this long ago; then it moves flat out. */
export const FLOOD_MAX_LAG_MS = 30_000;
const MAX_REST_MS = 200;
/**
 * A move costs this thread more than its transaction callback, which is what it can time: the commit's
 * resolution and its garbage come after. Measured in-process: 200,000 reports applied cost 15 µs of CPU each,
 * 9.4 µs of it inside the callbacks; counted 1:1, the move took 16–23% of bench:webhooks' main thread.
 */
export const MOVE_COST_PER_CALLBACK_MS = 1.6;

/**
 * How long the move rests after a batch whose transaction callback took `movedMs`: intake first under a flood.
 * Applying a delivery report costs this thread about half what accepting it does, so while providers send more than
 * FLOOD_RATE a second, moving as fast as they arrive would slow their requests down by a third; instead it
 * rests so that it takes FLOOD_MOVE_SHARE of the time, and reports are applied late — at most FLOOD_MAX_LAG_MS
 * (the oldest waiting one's age), past which it moves flat out again. Below FLOOD_RATE: 0, every move takes
 * all that waits and reports are applied within milliseconds.
 */
export function moveRestMs(o: { acceptedLastSecond: number; oldestAgeMs: number; movedMs: number }): number {
  if (o.acceptedLastSecond <= FLOOD_RATE || !(o.oldestAgeMs < FLOOD_MAX_LAG_MS)) return 0;
  const cost = o.movedMs * MOVE_COST_PER_CALLBACK_MS;
  return Math.min(MAX_REST_MS, (cost * (1 - FLOOD_MOVE_SHARE)) / FLOOD_MOVE_SHARE);
}

/** Entries accepted over about the last second: two one-second windows, the older one weighted by its overlap. */
export class RateCounter {
  private current = 0;
  private previous = 0;

  constructor(private start = performance.now()) {}

  add(n: number, now = performance.now()): void {
    this.roll(now);
    this.current += n;
  }

  lastSecond(now = performance.now()): number {
    this.roll(now);
    return this.current + this.previous * Math.max(0, 1 - (now - this.start) / 1000);
  }

  private roll(now: number): void {
    if (now - this.start < 1000) return;
    this.previous = now - this.start < 2000 ? this.current : 0;
    this.current = 0;
    this.start = now - ((now - this.start) % 1000);
  }
}

const rest = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface InboxMoverOptions {
  /** The journal the entries are appended to (storage/journal.ts). */
  journal: Journal;
  /** The highest record number already moved (stored in the main environment). */
  readMark: () => number;
  /**
   * Stores the entries as jobs and the new mark (`key`: the last record's number) in ONE main transaction.
   * Entries come with the number of the record that holds them. Resolves with the ms this thread spent on it.
   */
  move: (entries: Array<{ key: number; value: InboxEntry }>) => Promise<number>;
  /** Resolves once the main environment's commits so far are on disk (moved records may be deleted then). */
  flushed: () => PromiseLike<unknown>;
  log?: Logger;
  /** Milliseconds, monotonic (performance.now by default): when entries were accepted, for lags and rates. */
  now?: () => number;
}

/**
 * The inbox half of `JobQueue.accept`: appends entries to the journal (safe against kill -9 once written; on
 * disk per its `syncMs`), then moves them into the queue, oldest first, in batches — `move` writes them with the
 * mark, so an entry moves exactly once even if a crash comes before the journal lets go of it — and releases
 * them from the journal once that move is on disk. Entries a crash left behind (numbered above the mark) are moved at
 * start-up. The entries accepted in one event-loop turn share one record (one write, one promise): concurrent
 * webhooks arrive in bursts, and a write per request cost more than the request's own work.
 *
 * The journal is a plain file written on this thread, not an LMDB environment: a commit there meant a hop to
 * lmdb's writer thread and waiting for the previous commit's sync to disk, 1.5–2 ms under load, which the
 * webhooks' 64 concurrent connections paid on every request (bench:webhooks 13k/s; 22k/s with this).
 */
export class InboxMover {
  private nextSeq: number;
  private running?: Promise<void>;
  private again = false;
  /** Entries of the current turn, and the promise that resolves once their record is written. */
  private open?: { entries: InboxEntry[]; done: Promise<void> };
  /** Entries appended and not yet moved (for metrics; counted in memory, not by reading the journal). */
  private unmoved = 0;
  private readonly pending: Pending[] = [];
  /** Entries of pending records kept in memory (bounded by KEPT_MAX). */
  private kept = 0;
  /** The highest record number moved, and the release of records up to it (after the main flush) if one runs. */
  private movedUpTo = 0;
  private releasing?: Promise<void>;
  private readonly rate: RateCounter;
  private readonly now: () => number;
  /** When this mover started: the accept time assumed for records a restart left behind. */
  private readonly startedAt: number;

  constructor(private readonly o: InboxMoverOptions) {
    this.now = o.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.rate = new RateCounter(this.startedAt);
    const mark = o.readMark();
    o.journal.release(mark);
    for (const record of o.journal.after(mark)) {
      this.pending.push({ record });
      this.unmoved += record.count;
    }
    this.nextSeq = Math.max(o.journal.last(), mark) + 1;
    if (this.pending.length) this.moveSoon();
  }

  /** Appends one entry; resolves once it is written to the journal (and on disk, per its `syncMs`). */
  add(entry: InboxEntry): Promise<void> {
    this.unmoved++;
    if (this.open) {
      this.open.entries.push(entry);
      return this.open.done;
    }
    const entries = [entry];
    let release!: () => void;
    const turn = new Promise<void>((r) => (release = r));
    const done = turn.then(() => {
      this.open = undefined;
      let appended: ReturnType<Journal["append"]>;
      try {
        appended = this.o.journal.append(this.nextSeq, entries, entries.length);
      } catch (error) {
        this.unmoved -= entries.length; // not stored: every caller of this record is told so
        throw error;
      }
      this.nextSeq++;
      const acceptedAt = this.now();
      this.rate.add(entries.length, acceptedAt);
      const keep = this.kept < KEPT_MAX;
      if (keep) this.kept += entries.length;
      this.pending.push({ record: appended.record, entries: keep ? entries : undefined, acceptedAt });
      this.moveSoon();
      return appended.durable;
    });
    this.open = { entries, done };
    setImmediate(release); // after this turn's I/O callbacks: every request read in it joins the record
    return done;
  }

  /** Entries accepted and not yet moved. */
  depth(): number {
    return this.unmoved;
  }

  /** How long ago the oldest entry not yet moved was accepted (ms; 0 when none waits). */
  lagMs(): number {
    const first = this.pending[0];
    if (!first) return 0;
    return this.now() - (first.acceptedAt ?? this.startedAt);
  }

  /** Resolves when no append, move or release is running or due. */
  async settled(): Promise<void> {
    while (this.open || this.running || this.releasing) {
      await this.open?.done.catch(() => undefined);
      await this.running;
      await this.releasing;
    }
  }

  private moveSoon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.moveAll()
      .catch((error) => {
        this.o.log?.error("queue: moving accepted jobs from the journal failed; retrying", { error: String(error) });
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
    while (this.pending.length) {
      const batch: Pending[] = [];
      const entries: Array<{ key: number; value: InboxEntry }> = [];
      const limit = this.rate.lastSecond(this.now()) > FLOOD_RATE ? FLOOD_BATCH : INBOX_BATCH;
      for (const p of this.pending) {
        if (entries.length >= limit) break;
        batch.push(p);
        const key = p.record.seq;
        for (const entry of p.entries ?? (this.o.journal.read(p.record) as InboxEntry[])) entries.push({ key, value: entry });
      }
      const movedMs = await this.o.move(entries);
      this.pending.splice(0, batch.length);
      this.unmoved -= entries.length;
      for (const p of batch) this.kept -= p.entries?.length ?? 0;
      this.releaseSoon(batch[batch.length - 1]!.record.seq);
      const oldest = this.pending[0]?.acceptedAt;
      const ms = moveRestMs({ acceptedLastSecond: this.rate.lastSecond(this.now()), oldestAgeMs: oldest === undefined ? Infinity : this.now() - oldest, movedMs });
      if (ms > 0) await rest(ms);
    }
  }

  /** Lets the journal drop records up to `seq` once the move that stored them is on disk. */
  private releaseSoon(seq: number): void {
    this.movedUpTo = seq;
    this.releasing ??= (async () => {
      let done = 0;
      while (done < this.movedUpTo) {
        const upTo = this.movedUpTo;
        await this.o.flushed();
        this.o.journal.release(upTo);
        done = upTo;
      }
    })()
      .catch((error) => this.o.log?.warn("queue: releasing moved records from the journal failed", { error: String(error) }))
      .finally(() => (this.releasing = undefined));
  }
}
