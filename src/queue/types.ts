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
}

/** A named queue's scheduling settings. Lower priority numbers run first when slots are scarce. */
export interface QueueConfig {
  name: string;
  concurrency: number;
  priority: number;
}

/** What `GET /api/v1/queues` shows per queue. */
export interface QueueStats {
  name: string;
  depth: number;
  delayed: number;
  running: number;
  failed: number;
  perMinute: number;
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
