import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { Storage } from "../storage/db.ts";
import { DEFAULT_BACKOFF } from "./backoff.ts";
import { CounterDeltas, readCounter } from "./counters.ts";
import { decideFailure, type FailureOutcome } from "./failure.ts";
import { fromTuple, parseJobId } from "./job-record.ts";
import { InboxMover, specsToStore, toInboxEntry, type Absorber, type InboxEntry } from "./inbox.ts";
import { JobStore, KEY_MAX } from "./job-store.ts";
import { QueueLeases } from "./leases.ts";
import { RateWindow } from "./rate-window.ts";
import { releaseOutcomes, type SettledFailure } from "./settle.ts";
import type { DeadPage, Job, JobSpec, QueueConfig, QueueStats } from "./types.ts";

export interface JobQueueOptions {
  storage: Storage;
  clock: Clock;
  queues: QueueConfig[];
  log?: Logger;
  /** Source of jitter for retry delays; tests pass a fixed one. */
  random?: () => number;
}

/** Called after jobs become runnable or a batch of outcomes commits; `runAt` is the earliest new due time. */
export type WakeListener = (runAt: number) => void;

const DEFAULT_MAX_ATTEMPTS = 5;
/** Outcomes waiting to commit beyond which the runner stops taking jobs (bounds memory). */
const MAX_SETTLING = 20_000;
const PROMOTE_BATCH = 5_000;


/**
 * Pombo's persistent queue on LMDB: enqueue (durable on resolve), leases, outcomes, dead letters
 * and stats. Jobs are routed to a named queue by `spec.queue`, else by `route(name, queue)`,
 * else to `default`. The `Runner` drives it; services only enqueue.
 */
export class JobQueue {
  /** Queues in priority order (lowest number first). */
  readonly queues: readonly QueueConfig[];
  private readonly names: string[];
  private readonly routes = new Map<string, string>();
  private readonly configs = new Map<string, QueueConfig>();
  private readonly leases = new Map<string, QueueLeases>();
  private readonly rates = new Map<string, RateWindow>();
  private readonly store: JobStore;
  private readonly listeners = new Set<WakeListener>();
  private nextSeq: number;
  private acks: Job[] = [];
  private failures: Array<{ job: Job; outcome: FailureOutcome }> = [];
  private flushQueued = false;
  private settlingTotal = 0;
  private writesInFlight = 0;
  private lastWrite: Promise<unknown> = Promise.resolve();
  private promoting?: Promise<number>;
  private readonly inbox: InboxMover;
  private readonly absorbers = new Map<string, Absorber>();
  private lastAcceptAt = -Infinity;

  /** @throws Error when a queue config is invalid or two queues share a name. */
  constructor(private readonly opts: JobQueueOptions) {
    for (const q of opts.queues) {
      if (!q.name || !(q.concurrency >= 1)) throw new Error(`queue config ${JSON.stringify(q)}: needs a name and concurrency ≥ 1`);
      if (this.leases.has(q.name)) throw new Error(`queue ${q.name} is configured twice`);
      this.leases.set(q.name, new QueueLeases());
      this.configs.set(q.name, q);
      this.rates.set(q.name, new RateWindow());
    }
    this.queues = [...opts.queues].sort((a, b) => a.priority - b.priority);
    this.names = this.queues.map((q) => q.name);
    this.store = new JobStore(opts.storage);
    this.nextSeq = Math.max(this.store.readSeq(), this.store.maxStoredSeq(this.names) + 1);
    // Last: it may start moving jobs accepted before a crash or stop right away.
    this.inbox = new InboxMover({
      journal: opts.storage.journal,
      readMark: () => this.store.readInboxMark(),
      move: (e) => this.moveAccepted(e),
      flushed: () => opts.storage.env.flushed,
      log: opts.log,
    });
  }

  /** Sends jobs named `name` to `queue` unless their spec names one. @throws Error for an unknown queue. */
  route(name: string, queue: string): void {
    this.config(queue);
    this.routes.set(name, queue);
  }

  /** Stores one job; resolves with its id once committed (it then survives kill -9). Rejects on an invalid spec. */
  async enqueue<D>(spec: JobSpec<D>): Promise<string> {
    return (await this.enqueueMany([spec]))[0]!;
  }

  /**
   * Stores many jobs in one transaction; resolves with their ids (in order) once committed.
   * A spec whose idempotency key is held by an existing job gets that job's id and adds nothing.
   * Rejects on an invalid spec, before anything is written.
   */
  async enqueueMany(specs: JobSpec[]): Promise<string[]> {
    if (specs.length === 0) return [];
    const now = this.opts.clock.now();
    const jobs = specs.map((s) => this.prepare(s, now));
    return this.write(() => this.insertAll(jobs, now)).then((ids) => {
      this.wake(earliestRunAt(jobs));
      return ids;
    });
  }

  /**
   * Makes a job durable fast, whatever the main environment is busy with: it is appended to the journal (one
   * write per event-loop turn, shared by every call in it) and resolves once written — then it survives kill -9
   * — or, with `journalSyncMs` 0, once on disk. It joins its queue moments later, moved in batches with one
   * main transaction each (see inbox.ts). For hot paths that answer a caller after a durable write: provider
   * webhooks. @throws Error on an invalid spec (nothing stored).
   */
  async accept<D>(spec: JobSpec<D>): Promise<void> {
    const now = this.opts.clock.now();
    const job = this.prepare(spec, now);
    this.lastAcceptAt = now;
    await this.inbox.add(toInboxEntry(job, spec.runAt));
  }

  /** Jobs accepted but not yet moved into their queue. */
  inboxDepth(): number {
    return this.inbox.depth();
  }

  /** How long ago (ms) the oldest job not yet moved was accepted; 0 when none waits. */
  inboxLagMs(): number {
    return this.inbox.lagMs();
  }

  /**
   * Applies jobs named `name` as they move in from the inbox, inside the move's transaction, instead of
   * queueing them (a job's lease, run and ack would cost more than the work itself, e.g. a delivery report).
   * `fn` gets the moved jobs' data in order and returns the specs to queue after all (those it could not
   * apply, retries); they are stored in the same transaction, so each accepted job is applied or queued
   * exactly once. `fn` must check before it writes; if it throws, that transaction is rolled back and the
   * batch is moved again with every job queued as such.
   */
  absorb(name: string, fn: Absorber): void {
    this.absorbers.set(name, fn);
  }

  /**
   * Stores accepted jobs and the inbox mark in one transaction (InboxMover's `move`), absorbing what it can.
   * Resolves with the ms this thread spent in it.
   */
  private async moveAccepted(entries: Array<{ key: number; value: InboxEntry }>): Promise<number> {
    let spent = 0;
    const store = (absorb: boolean) => () => {
      const t0 = performance.now();
      const jobs = this.storeAccepted(entries, absorb);
      spent += performance.now() - t0;
      return jobs;
    };
    let jobs: Job[];
    try {
      jobs = await this.write(store(true));
    } catch (error) {
      this.opts.log?.error("queue: applying accepted jobs failed; queueing them instead", { error: String(error) });
      jobs = await this.write(store(false));
    }
    this.wake(earliestRunAt(jobs));
    return spent;
  }

  private storeAccepted(entries: Array<{ key: number; value: InboxEntry }>, absorb: boolean): Job[] {
    const mark = this.store.readInboxMark();
    const now = this.opts.clock.now();
    const specs = specsToStore(entries.filter(({ key }) => key > mark).map(({ value }) => value), absorb ? this.absorbers : undefined);
    const jobs: Job[] = [];
    for (const spec of specs) {
      try {
        jobs.push(this.prepare(spec, now));
      } catch (error) {
        // Only possible after a downgrade that removed its queue: one bad entry must not block the rest.
        this.opts.log?.error("queue: dropped an accepted job that no queue takes", { name: spec.name, queue: spec.queue, error: String(error) });
      }
    }
    if (jobs.length) this.insertAll(jobs, now);
    const last = entries[entries.length - 1]!.key;
    if (last > mark) this.store.writeInboxMark(last);
    return jobs;
  }

  /**
   * Stores one job synchronously, for use inside a caller's `storage.env.transaction(Sync)` so a
   * record and its job commit together (both or neither). The runner is woken after the commit.
   * @throws Error on an invalid spec.
   */
  enqueueSync<D>(spec: JobSpec<D>): string {
    return this.enqueueManySync([spec])[0]!;
  }

  /** `enqueueSync` for many jobs at once: one sequence and counter write for all. */
  enqueueManySync(specs: JobSpec[]): string[] {
    if (specs.length === 0) return [];
    const now = this.opts.clock.now();
    const jobs = specs.map((spec) => this.prepare(spec, now));
    const ids = this.opts.storage.env.transactionSync(() => this.insertAll(jobs, now));
    const earliest = earliestRunAt(jobs);
    // Inside an async `env.transaction` the jobs are visible only once that batch commits: wake the runner
    // then (`committed`, read here, is that batch's promise), not before.
    void this.opts.storage.env.committed.then(() => this.wake(earliest));
    return ids;
  }

  /** Subscribes to wake-ups (new due work, committed outcomes); returns the unsubscribe function. */
  onWake(listener: WakeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Leases up to `max` ready jobs of `queue`, oldest first. Leases live in memory until `complete`/`fail`. */
  lease(queue: string, max: number): Job[] {
    const leases = this.leases.get(queue)!;
    const out: Job[] = [];
    for (let pass = 0; pass < 2 && out.length < max; pass++) {
      for (const { key, value } of this.store.ready.getRange({ start: [queue, leases.cursor + 1], end: [queue, KEY_MAX] })) {
        const seq = key[1];
        leases.cursor = seq;
        if (leases.leased.has(seq)) continue;
        leases.leased.add(seq);
        out.push(fromTuple(seq, value));
        if (out.length >= max) break;
      }
      // Self-healing: if fewer ready jobs were found than the counter says exist, read from the start once.
      if (out.length >= max || readCounter(this.store.stats, queue, "ready") <= leases.leased.size) break;
      leases.cursor = -1;
    }
    return out;
  }

  /** Acknowledges a leased job: it is removed (with its idempotency key) in the next batched write. */
  complete(job: Job): void {
    this.leases.get(job.queue)!.settling++;
    this.settlingTotal++;
    this.acks.push(job);
    this.scheduleFlush();
  }

  /** Records a failed attempt of a leased job: retried later or dead-lettered (see failure.ts). */
  fail(job: Job, error: unknown): void {
    const backoff = this.config(job.queue).backoff ?? DEFAULT_BACKOFF;
    const outcome = decideFailure(job, error, this.opts.clock.now(), backoff, this.opts.random ?? Math.random);
    this.opts.log?.warn(outcome.kind === "dead" ? "job dead-lettered" : "job failed, will retry", {
      jobId: job.id, job: job.name, queue: job.queue, attempts: outcome.attempts, error: outcome.error,
    });
    this.leases.get(job.queue)!.settling++;
    this.settlingTotal++;
    this.failures.push({ job, outcome });
    this.scheduleFlush();
  }

  /** Jobs of `queue` being run by a handler now. */
  running(queue: string): number {
    return this.leases.get(queue)!.running;
  }

  /**
   * True while foreground work runs — a handler of one of `queues`, or a job accepted in the last second
   * (webhooks: most are applied as they move in, never running as jobs). Background work (imports, campaign
   * generation) then commits smaller batches, each of which holds the event loop while it runs.
   */
  foregroundBusy(queues: readonly string[]): boolean {
    if (this.opts.clock.now() - this.lastAcceptAt < 1_000) return true;
    return queues.some((q) => this.running(q) > 0);
  }

  /** True while so many outcomes wait to commit that no more jobs should be leased. */
  isBacklogged(): boolean {
    return this.settlingTotal >= MAX_SETTLING;
  }

  /** Moves every delayed job due at clock.now() to ready; resolves with how many moved. */
  promoteDue(): Promise<number> {
    this.promoting ??= this.promoteLoop().finally(() => (this.promoting = undefined));
    return this.promoting;
  }

  /** The earliest runAt among delayed jobs, or undefined when there are none. */
  nextDueAt(): number | undefined {
    for (const key of this.store.due.getKeys({ limit: 1 })) return key[0];
    return undefined;
  }

  /** Resolves when every write this queue has issued so far (enqueues, outcomes) has committed. */
  async settled(): Promise<void> {
    await this.inbox.settled();
    if (this.flushQueued) this.flush();
    while (this.writesInFlight > 0) await this.lastWrite.catch(() => undefined);
  }

  /** Per-queue counts, from durable counters and in-memory leases: no scanning. */
  stats(): QueueStats[] {
    const now = this.opts.clock.now();
    return this.queues.map(({ name }) => {
      const leases = this.leases.get(name)!;
      const ready = readCounter(this.store.stats, name, "ready");
      return {
        name,
        depth: Math.max(0, ready - leases.leased.size),
        delayed: readCounter(this.store.stats, name, "delayed"),
        running: leases.running,
        failed: readCounter(this.store.stats, name, "dead"),
        perMinute: this.rates.get(name)!.total(now),
        completed: readCounter(this.store.stats, name, "completed"),
      };
    });
  }

  /** The job with this id and its state, or undefined once it has completed (or never existed). */
  get(jobId: string): Job | undefined {
    const seq = parseJobId(jobId);
    const found = seq === undefined ? undefined : this.store.find(seq, this.names);
    if (!found) return undefined;
    const isRunning = found.state === "ready" && this.leases.get(found.job.queue)?.leased.has(seq!);
    return { ...found.job, state: isRunning ? "running" : found.state };
  }

  /** One page of `queue`'s dead letters, oldest first. @throws Error for an unknown queue. */
  listDead(queue: string, { limit = 50, cursor }: { limit?: number; cursor?: string } = {}): DeadPage {
    this.config(queue);
    const after = cursor === undefined ? 0 : (parseJobId(cursor) ?? KEY_MAX) + 1;
    const items: Job[] = [];
    for (const { key, value } of this.store.dead.getRange({ start: [queue, after], end: [queue, KEY_MAX], limit: limit + 1 })) {
      items.push({ ...fromTuple(key[1], value), state: "dead" });
    }
    const next = items.length > limit ? items[limit - 1]!.id : undefined;
    return { items: items.slice(0, limit), next };
  }

  /** Puts a dead letter back in its queue with attempts reset; resolves false when it is not dead. */
  async retryDead(jobId: string): Promise<boolean> {
    const seq = parseJobId(jobId);
    if (seq === undefined) return false;
    const now = this.opts.clock.now();
    const queue = await this.write(() => this.withDeltas((d) => this.store.revive(seq, this.names, now, d)));
    if (queue === undefined) return false;
    this.leases.get(queue)!.rewind(seq);
    this.wake(now);
    return true;
  }

  /** Deletes a dead letter for good (and frees its idempotency key); resolves false when it is not dead. */
  async discardDead(jobId: string): Promise<boolean> {
    const seq = parseJobId(jobId);
    if (seq === undefined) return false;
    return this.write(() => this.withDeltas((d) => this.store.discard(seq, this.names, d)));
  }

  private config(queue: string): QueueConfig {
    const c = this.configs.get(queue);
    if (!c) throw new Error(`unknown queue "${queue}": configured queues are ${this.names.join(", ")}`);
    return c;
  }

  private prepare(spec: JobSpec, now: number): Job {
    if (typeof spec?.name !== "string" || spec.name === "") throw new Error("a job needs a name");
    const queue = spec.queue ?? this.routes.get(spec.name) ?? "default";
    this.config(queue);
    const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!(maxAttempts >= 1)) throw new Error(`job ${spec.name}: maxAttempts must be ≥ 1`);
    return {
      id: "", name: spec.name, queue, data: spec.data, attempts: 0, maxAttempts,
      runAt: spec.runAt ?? now, createdAt: now, key: spec.key, lastError: undefined, deadAt: undefined, state: undefined,
    };
  }

  /** Inside a write transaction: stores new jobs, honouring idempotency keys. */
  private insertAll(jobs: Job[], now: number): string[] {
    return this.withDeltas((d) => {
      const ids: string[] = new Array(jobs.length);
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i]!;
        const held = job.key === undefined ? undefined : this.store.keys.get(job.key);
        if (held !== undefined) {
          ids[i] = String(held);
          continue;
        }
        const seq = this.nextSeq++;
        this.store.insert(seq, job, now, d);
        ids[i] = String(seq);
      }
      this.store.writeSeq(this.nextSeq);
      return ids;
    });
  }

  private withDeltas<T>(fn: (d: CounterDeltas) => T): T {
    const d = new CounterDeltas();
    const result = fn(d);
    d.apply(this.store.stats);
    return result;
  }

  /** Runs `fn` in its own child transaction of the next batched commit (rolled back if it throws). */
  private write<T>(fn: () => T): Promise<T> {
    // Inside a caller's transaction lmdb runs the callback at once and returns its value.
    const p = Promise.resolve(this.opts.storage.env.childTransaction(fn) as Promise<T> | T);
    this.writesInFlight++;
    const done = () => void this.writesInFlight--;
    this.lastWrite = p.then(done, done);
    return p;
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes every pending outcome in one transaction; leases are released once it commits. */
  private flush(): void {
    this.flushQueued = false;
    const acks = this.acks;
    const failures = this.failures;
    if (acks.length === 0 && failures.length === 0) return;
    this.acks = [];
    this.failures = [];
    const now = this.opts.clock.now();
    this.write(() =>
      this.withDeltas((d) => {
        this.store.ackMany(acks, d);
        for (const { job, outcome } of failures) this.store.fail(Number(job.id), job, outcome, now, d);
      }),
    ).then(
      () => this.afterSettle(acks, failures, now),
      (error) => {
        this.opts.log?.error("queue: writing job outcomes failed; the jobs will run again", { error: String(error) });
        this.afterSettle([], [...acks.map((job) => ({ job, outcome: undefined })), ...failures], now);
      },
    );
  }

  private afterSettle(acks: Job[], failures: SettledFailure[], now: number): void {
    const parkedUntil = releaseOutcomes(this.leases, this.rates, acks, failures, now);
    this.settlingTotal -= acks.length + failures.length;
    this.wake(now);
    if (parkedUntil < Infinity) this.wake(parkedUntil);
  }

  private async promoteLoop(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.opts.clock.now();
      const due = this.nextDueAt();
      if (due === undefined || due > now) return total;
      const { count, minSeq } = await this.write(() => this.withDeltas((d) => this.store.promote(now, PROMOTE_BATCH, d)));
      for (const [queue, seq] of minSeq) this.leases.get(queue)?.rewind(seq);
      total += count;
      if (count > 0) this.wake(now);
      if (count < PROMOTE_BATCH) return total;
    }
  }

  private wake(runAt: number): void {
    for (const listener of this.listeners) listener(runAt);
  }
}

/** The earliest due time among `jobs` (Infinity for none): what the runner is woken for. */
function earliestRunAt(jobs: readonly Job[]): number {
  let earliest = Infinity;
  for (const job of jobs) if (job.runAt < earliest) earliest = job.runAt;
  return earliest;
}
