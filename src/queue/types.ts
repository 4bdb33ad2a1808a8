/**
 * The contract of Pombo's persistent queue (on LMDB). Services enqueue through `JobQueue`;
 * handlers are registered on the `Runner` by job name (`noun.verb`).
 * Delivery is at-least-once: a handler may run twice for one job, so handlers are idempotent.
 */

/** What a caller asks to have run. */
export interface JobSpec<D = unknown> {
  /** Job name, `noun.verb`, e.g. `message.send`. */
  name: string;
  /** Small, plain data: ids and the few fields the handler needs (msgpack-encodable). */
  data: D;
  /** Named queue; defaults to the queue the job name was registered on, else `default`. */
  queue?: string;
  /** Epoch ms before which the job must not run; default now. */
  runAt?: number;
  /** Idempotency key: while a job with this key exists (not yet completed), enqueueing again returns its id. */
  key?: string;
  /** Attempts before the job is dead-lettered; default 5. */
  maxAttempts?: number;
}

/** A job as stored and handed to a handler. */
export interface Job<D = unknown> {
  id: string;
  name: string;
  queue: string;
  data: D;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  createdAt: number;
  key?: string;
  lastError?: string;
  /** When the job was dead-lettered (epoch ms); set only on dead letters. */
  deadAt?: number;
  /** Where the job is now; filled in by `JobQueue.get` and `listDead`, absent on jobs handed to handlers. */
  state?: JobState;
}

/** Where a job is: due and waiting, waiting for its runAt, being run, or in the dead letters. */
export type JobState = "ready" | "delayed" | "running" | "dead";

/** Exponential backoff settings for retries after a thrown error. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter; default 1,000 ms. */
  baseMs: number;
  /** Upper bound of any delay; default 1 hour. */
  maxMs: number;
}

/** A named queue's scheduling settings. Lower priority numbers run first when slots are scarce. */
export interface QueueConfig {
  name: string;
  concurrency: number;
  priority: number;
  /** Retry delays after a thrown error; defaults to `DEFAULT_BACKOFF` (backoff.ts). */
  backoff?: BackoffOptions;
}

/** What `GET /api/v1/queues` shows per queue. */
export interface QueueStats {
  name: string;
  depth: number;
  delayed: number;
  running: number;
  failed: number;
  perMinute: number;
  /** Jobs completed since the queue was created (durable counter, for /metrics). */
  completed: number;
}

/** One page of dead letters, oldest first; pass `next` back as `cursor` for the following page. */
export interface DeadPage {
  items: Job[];
  next?: string;
}

export type Handler<D = any> = (job: Job<D>) => Promise<void> | void;

/** Thrown by a handler to ask for a retry after a given delay (e.g. provider said Retry-After). */
export class RetryLaterError extends Error {
  constructor(message: string, readonly afterMs: number) {
    super(message);
    this.name = "RetryLaterError";
  }
}

/** Thrown by a handler when retrying cannot help: the job goes straight to the dead letters. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentJobError";
  }
}
