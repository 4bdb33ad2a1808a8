import Piscina from "piscina";
import type { Config } from "../config.ts";

/**
 * The CPU worker pool. Workers stay alive for the life of the process (min = max threads, no idle timeout):
 * terminating workers is fragile on Bun. Tasks are named exports of workers/entry.ts, run with
 * `pool.run(task, { name })`; send file paths and byte ranges, not big strings.
 */
export function createPool(config: Pick<Config, "workerThreads">): Piscina {
  const threads = Math.max(1, config.workerThreads);
  return new Piscina({
    filename: new URL("./entry.ts", import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    concurrentTasksPerWorker: 1,
  });
}
