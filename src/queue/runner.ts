import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { JobQueue } from "./queue.ts";
import { PermanentJobError, type Handler, type Job } from "./types.ts";

export interface RunnerOptions {
  queue: JobQueue;
  clock: Clock;
  log: Logger;
  /** Slots shared by all queues, filled in priority order; default unlimited (only per-queue limits). */
  maxConcurrency?: number;
  /** Jobs started per event-loop turn before yielding to I/O; default 2,000. */
  turnBudget?: number;
}

/** Longest single timer; the clock may jump, so the runner looks again at least this often. */
const MAX_TIMER_MS = 60_000;

/**
 * Runs queued jobs through their registered handlers: per-queue concurrency limits, queues served
 * in priority order, delayed jobs run when due (a timer to the next due time plus a wake on enqueue,
 * no polling). Outcomes are written in batches by the queue. A handler that throws never crashes it.
 */
export class Runner {
  private readonly handlers = new Map<string, Handler>();
  private isStarted = false;
  private unsubscribe?: () => void;
  private timer?: ReturnType<typeof setTimeout>;
  private timerAt = Infinity;
  private pumpQueued = false;
  private turnResetQueued = false;
  private pumpNextTurn = false;
  private turnJobs = 0;
  private inflight = 0;
  private generation = 0;
  private processed = 0;
  private budgetEnd = Infinity;
  private change?: PromiseWithResolvers<void>;

  constructor(private readonly opts: RunnerOptions) {}

  /** Registers the handler for job name `name`; with `queue`, jobs of that name go to that queue. */
  register(name: string, handler: Handler, options: { queue?: string } = {}): void {
    if (options.queue) this.opts.queue.route(name, options.queue);
    this.handlers.set(name, handler);
  }

  /** Starts taking jobs: due ones now, delayed ones when due, new ones as they are enqueued. */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    this.unsubscribe = this.opts.queue.onWake((runAt) => this.onWake(runAt));
    this.tick();
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for running handlers, then for their outcomes
   * to commit. Handlers still running after that are abandoned: their jobs stay in the queue and
   * run again after a restart.
   */
  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.isStarted = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.inflight > 0) {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)));
      await Promise.race([this.drained(), expired]);
      clearTimeout(timeout);
      if (this.inflight > 0) {
        this.opts.log.warn("runner stopped with handlers still running; their jobs will run again", { running: this.inflight });
        this.generation++;
        this.inflight = 0;
      }
    }
    await this.opts.queue.settled();
  }

  /**
   * For tests: runs every job due at clock.now(), including jobs enqueued or retried meanwhile
   * and due by then, until nothing is due and nothing runs. Resolves with the number of jobs run.
   */
  async runUntilEmpty({ maxJobs = Infinity }: { maxJobs?: number } = {}): Promise<number> {
    const first = this.processed;
    this.budgetEnd = first + maxJobs;
    try {
      for (;;) {
        await this.opts.queue.settled();
        await this.opts.queue.promoteDue();
        this.turnJobs = 0; // tests want throughput, not fairness to I/O
        const started = this.processed < this.budgetEnd ? this.pump() : 0;
        if (this.inflight > 0) await this.nextChange();
        else if (started === 0) break;
      }
      await this.opts.queue.settled();
    } finally {
      this.budgetEnd = Infinity;
    }
    return this.processed - first;
  }

  private onWake(runAt: number): void {
    if (runAt > this.opts.clock.now()) this.armTimer(runAt);
    else this.schedulePump();
  }

  /** Promotes due delayed jobs, runs what is ready, and sets the timer for the next due job. */
  private tick(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (!this.isStarted) return;
    this.opts.queue.promoteDue().then(
      () => {
        this.pump();
        const next = this.opts.queue.nextDueAt();
        if (next !== undefined) this.armTimer(next);
      },
      (error) => this.opts.log.error("runner: promoting due jobs failed", { error: String(error) }),
    );
  }

  /**
   * A wake can say "due now" for jobs still stored as delayed (the clock moved): move them first. Either way the
   * timer is set for the next delayed job: a pump is not a tick, and without it jobs due a moment later would
   * wait for an unrelated wake (a send spread over the minute ran in bursts once delivery reports stopped being
   * jobs whose acks woke the runner).
   */
  private promoteIfDue(): void {
    const next = this.opts.queue.nextDueAt();
    if (next === undefined) return;
    if (next > this.opts.clock.now()) return this.armTimer(next);
    this.opts.queue.promoteDue().then(
      () => {
        const after = this.opts.queue.nextDueAt();
        if (after !== undefined) this.armTimer(after);
      },
      (error) => this.opts.log.error("runner: promoting due jobs failed", { error: String(error) }),
    );
  }

  private armTimer(at: number): void {
    if (!this.isStarted || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.opts.clock.now()));
    this.timer = setTimeout(() => this.tick(), delay);
  }

  /** Pumps again soon: in a microtask while this turn's budget lasts, else on the next turn. */
  private schedulePump(): void {
    if (this.turnJobs >= (this.opts.turnBudget ?? 2_000)) {
      this.pumpNextTurn = true;
      return;
    }
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      if (this.isStarted) this.pump();
    });
  }

  /** Counts jobs per event-loop turn: the budget resets when I/O has had its turn. */
  private noteTurn(): void {
    if (this.turnResetQueued) return;
    this.turnResetQueued = true;
    setImmediate(() => {
      this.turnResetQueued = false;
      this.turnJobs = 0;
      if (this.pumpNextTurn && this.isStarted) {
        this.pumpNextTurn = false;
        this.pump();
      }
    });
  }

  /** Leases and starts jobs, queues in priority order, until slots, work or this turn's budget run out. */
  private pump(): number {
    const { queue } = this.opts;
    const budget = this.opts.turnBudget ?? 2_000;
    this.noteTurn();
    if (this.isStarted) this.promoteIfDue();
    let total = 0;
    for (;;) {
      let round = 0;
      for (const config of queue.queues) {
        if (queue.isBacklogged()) break;
        const free = Math.min(
          config.concurrency - queue.running(config.name),
          (this.opts.maxConcurrency ?? Infinity) - this.inflight,
          this.budgetEnd - this.processed,
          budget - this.turnJobs,
        );
        if (free <= 0) continue;
        const jobs = queue.lease(config.name, free);
        for (const job of jobs) this.execute(job);
        round += jobs.length;
        this.turnJobs += jobs.length;
      }
      total += round;
      if (round === 0) break;
    }
    if (this.turnJobs >= budget) this.schedulePump();
    return total;
  }

  private execute(job: Job): void {
    this.processed++;
    const handler = this.handlers.get(job.name);
    if (!handler) {
      this.opts.queue.fail(job, new PermanentJobError(`unknown job name "${job.name}": no handler is registered for it`));
      return;
    }
    let result: unknown;
    try {
      result = handler(job);
    } catch (error) {
      this.opts.queue.fail(job, error);
      return;
    }
    if (result === null || typeof (result as Promise<void>)?.then !== "function") {
      this.opts.queue.complete(job);
      return;
    }
    this.inflight++;
    const generation = this.generation;
    (result as Promise<void>).then(
      () => this.settle(job, generation, undefined, true),
      (error) => this.settle(job, generation, error, false),
    );
  }

  private settle(job: Job, generation: number, error: unknown, ok: boolean): void {
    if (generation !== this.generation) return; // abandoned by stop(): the job runs again after restart
    this.inflight--;
    if (ok) this.opts.queue.complete(job);
    else this.opts.queue.fail(job, error);
    const change = this.change;
    this.change = undefined;
    change?.resolve();
    if (this.isStarted) this.schedulePump();
  }

  private nextChange(): Promise<void> {
    this.change ??= Promise.withResolvers<void>();
    return this.change.promise;
  }

  private async drained(): Promise<void> {
    while (this.inflight > 0) await this.nextChange();
  }
}
