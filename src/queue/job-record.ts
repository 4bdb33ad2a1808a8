import type { Job } from "./types.ts";

/** Schema version of stored job tuples. */
const JOB_V = 1;

/**
 * A job as stored: a msgpack array, not an object, because arrays encode and decode
 * several times faster than maps without shared structures and the queue reads and
 * writes every job at least twice. The id is not stored: it is the key's jobSeq.
 * Layout: [v, queue, name, data, attempts, maxAttempts, runAt, createdAt, key, lastError, deadAt].
 */
export type JobTuple = unknown[];

/** Turns a job into its stored tuple, dropping trailing empty optional fields. */
export function toTuple(job: Job): JobTuple {
  const t: unknown[] = [JOB_V, job.queue, job.name, job.data, job.attempts, job.maxAttempts, job.runAt, job.createdAt];
  if (job.key !== undefined || job.lastError !== undefined || job.deadAt !== undefined) {
    t.push(job.key ?? null, job.lastError ?? null, job.deadAt ?? null);
  }
  return t;
}

/** Rebuilds a job from its key's sequence number and its stored tuple. */
export function fromTuple(seq: number, t: JobTuple): Job {
  return {
    id: String(seq),
    name: t[2] as string,
    queue: t[1] as string,
    data: t[3],
    attempts: t[4] as number,
    maxAttempts: t[5] as number,
    runAt: t[6] as number,
    createdAt: t[7] as number,
    key: (t[8] as string | null) ?? undefined,
    lastError: (t[9] as string | null) ?? undefined,
    deadAt: (t[10] as number | null) ?? undefined,
    state: undefined,
  };
}

/** Parses a public job id back into its sequence number; undefined when it is not one of ours. */
export function parseJobId(jobId: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(jobId)) return undefined;
  return Number(jobId);
}
