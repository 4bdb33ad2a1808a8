/**
 * The queue monitor's view of dead letters, per tenant. The queue is shared by every company, so a
 * job is shown to (and retried or discarded by) only the company it belongs to; jobs that belong to
 * no company (system work) only to owners.
 */
import type { AuthContext, Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import type { Job } from "../queue/types.ts";
import { getMessage } from "../storage/messages.ts";

/** A dead letter as the API shows it: the data reduced to a few harmless scalars. */
export interface DeadJobView {
  id: string;
  name: string;
  queue: string;
  attempts: number;
  lastError?: string;
  createdAt: string;
  deadAt?: string;
  data: Record<string, string | number | boolean>;
}

/** Rows of dead letters examined per request at most, so a foreign company's backlog cannot stall a page. */
const MAX_SCAN = 5_000;
/** Field names never shown, whatever the job: credentials, raw payloads, message bodies. */
const HIDDEN = /secret|token|password|passwd|auth|key|sig|body|header|cookie|credential|config|raw|req/i;

/** The company a job belongs to: its `companyId`, else the company of its account or message; undefined = system work. */
export function jobCompany(deps: Pick<Deps, "storage">, job: Job): string | undefined {
  const data = (job.data ?? {}) as Record<string, unknown>;
  if (typeof data.companyId === "string") return data.companyId;
  // Jobs that carry only an account or message id (provider webhooks, reconciles) belong to its company;
  // when that record is gone too, the job is treated as system work.
  if (typeof data.accountId === "string") return deps.storage.db("accountIndex").get(data.accountId);
  if (typeof data.messageId === "string") return getMessage(deps.storage, data.messageId)?.companyId;
  return undefined;
}

/** Whether the caller may see (and, as owner, act on) this job. */
export function canSeeJob(deps: Pick<Deps, "storage">, auth: AuthContext, job: Job): boolean {
  const company = jobCompany(deps, job);
  return company === undefined ? auth.user.role === "owner" : company === auth.company.id;
}

/** Top-level scalar fields of the job's data, minus anything that could be a secret or content; strings cut short. */
export function summarizeData(data: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!data || typeof data !== "object") return out;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (HIDDEN.test(k)) continue;
    if (typeof v === "string") out[k] = v.length > 120 ? v.slice(0, 120) + "…" : v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

export function deadJobView(job: Job): DeadJobView {
  return {
    id: job.id, name: job.name, queue: job.queue, attempts: job.attempts, lastError: job.lastError,
    createdAt: new Date(job.createdAt).toISOString(), deadAt: job.deadAt === undefined ? undefined : new Date(job.deadAt).toISOString(),
    data: summarizeData(job.data),
  };
}

/**
 * One page of a queue's dead letters that the caller may see, oldest first.
 * @throws DomainError queue_not_found.
 */
export function listVisibleDead(deps: Deps, auth: AuthContext, queue: string, { limit = 50, cursor }: { limit?: number; cursor?: string }): { items: DeadJobView[]; next?: string } {
  if (!deps.queue.queues.some((q) => q.name === queue)) throw notFound("queue");
  const items: DeadJobView[] = [];
  let scanned = 0;
  let after = cursor;
  for (;;) {
    const page = deps.queue.listDead(queue, { limit: Math.max(limit, 100), cursor: after });
    for (const job of page.items) {
      scanned++;
      after = job.id;
      if (canSeeJob(deps, auth, job)) items.push(deadJobView(job));
      if (items.length === limit) return { items, next: job.id };
    }
    if (!page.next) return { items };
    // Out of budget: hand back a cursor so the client carries on where the scan stopped.
    if (scanned >= MAX_SCAN) return { items, next: after };
  }
}

/**
 * Looks up a job the caller may act on: owners only, and only their company's (or system) jobs.
 * @throws DomainError forbidden (members), job_not_found (unknown or another company's).
 */
function ownedJob(deps: Deps, auth: AuthContext, id: string): Job {
  if (auth.user.role !== "owner") throw new DomainError("forbidden", "forbidden", "only owners can retry or discard jobs");
  const job = deps.queue.get(id);
  if (!job || !canSeeJob(deps, auth, job)) throw notFound("job");
  if (job.state !== "dead") throw new DomainError("conflict", "job_not_dead", `job ${id} is ${job.state}, not in the dead letters`);
  return job;
}

/** Puts one of the company's dead letters back in its queue. @throws DomainError forbidden, job_not_found, job_not_dead. */
export async function retryDeadJob(deps: Deps, auth: AuthContext, id: string): Promise<Job> {
  const job = ownedJob(deps, auth, id);
  if (!(await deps.queue.retryDead(id))) throw new DomainError("conflict", "job_not_dead", `job ${id} is no longer in the dead letters`);
  return job;
}

/** Deletes one of the company's dead letters for good. @throws DomainError forbidden, job_not_found, job_not_dead. */
export async function discardDeadJob(deps: Deps, auth: AuthContext, id: string): Promise<void> {
  ownedJob(deps, auth, id);
  if (!(await deps.queue.discardDead(id))) throw new DomainError("conflict", "job_not_dead", `job ${id} is no longer in the dead letters`);
}
