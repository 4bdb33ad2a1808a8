import Piscina from "piscina";
import type { Config } from "../config.ts";
import { embeddedEntry, IS_BINARY } from "../embedded.ts";

/** This file's sibling from source; in the compiled binary, the same module embedded as an extra entry point. */
const ENTRY = IS_BINARY ? embeddedEntry("src/workers/entry.ts") : new URL("./entry.ts", import.meta.url).href;

/**
 * Tasks that hold LMDB's single writer: they run on the pool's own writer thread. Queued in the same Piscina as
 * the parse tasks, an import's next batch waited behind chunks being parsed (up to four, ~25 ms each) while the
 * writer — what bounds an import — sat idle.
 */
const WRITER_TASKS: ReadonlySet<string> = new Set(["commitChunk", "mergeBatch"]);

/**
 * The CPU worker pool: one writer thread for the tasks that write (started at the first such task), the other
 * threads for parsing and other CPU work. Tasks are named exports of workers/entry.ts, run with
 * `pool.run(task, { name })`; send file paths and byte ranges, not big strings.
 */
export class WorkerPool {
  private readonly workers: Piscina;
  private writer?: Piscina;
  private closed = false;

  constructor(threads: number) {
    this.workers = piscina(threads);
  }

  /** `transferList`: buffers of the task moved to the worker, not copied (unusable by the caller afterwards). */
  run(task: unknown, options: { name: string; transferList?: ArrayBuffer[] }): Promise<any> {
    if (this.closed) return Promise.reject(new Error("the worker pool is closed"));
    // Piscina takes an array (it checks Array.isArray at run time); its typings name a different type.
    const opts = options as Parameters<Piscina["run"]>[1];
    if (!WRITER_TASKS.has(options.name)) return this.workers.run(task, opts);
    return (this.writer ??= piscina(1)).run(task, opts);
  }

  /** Ends both pools (`force`: running tasks are aborted instead of awaited; see stopImportCommits first). */
  async close(options?: { force?: boolean }): Promise<void> {
    this.closed = true;
    await Promise.all([this.workers.close(options), this.writer?.close(options)]);
  }

  async destroy(): Promise<void> {
    this.closed = true;
    await Promise.all([this.workers.destroy(), this.writer?.destroy()]);
  }
}

/**
 * `workerThreads` parse threads and, started at the first import, the writer thread. An import reads (parse
 * threads busy, the writer only gathers and writes sorted runs) and then writes (the writer busy, the parse
 * threads idle), so the two kinds seldom compete for a core: bench:import 1M, phase one with two parse threads
 * against one: 3.70 against 3.86 s before the writer stopped blocking the parse pipeline.
 */
export function createPool(config: Pick<Config, "workerThreads">): WorkerPool {
  return new WorkerPool(Math.max(1, config.workerThreads));
}

/**
 * Workers stay alive for the life of the process (min = max threads, no idle timeout): terminating workers is
 * fragile on Bun.
 */
function piscina(threads: number): Piscina {
  return new Piscina({
    filename: ENTRY,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    concurrentTasksPerWorker: 1,
    // close() waits this long for running tasks (a batch parse or commit takes well under a second).
    closeTimeout: 10_000,
  });
}
