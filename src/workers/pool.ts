import Piscina from "piscina";
import type { Config } from "../config.ts";
import { embeddedEntry, IS_BINARY } from "../embedded.ts";

/** This file's sibling from source; in the compiled binary, the same module embedded as an extra entry point. */
const ENTRY = IS_BINARY ? embeddedEntry("src/workers/entry.ts") : new URL("./entry.ts", import.meta.url).href;

/**
 * The CPU worker pool. Workers stay alive for the life of the process (min = max threads, no idle timeout):
 * terminating workers is fragile on Bun. Tasks are named exports of workers/entry.ts, run with
 * `pool.run(task, { name })`; send file paths and byte ranges, not big strings.
 */
export function createPool(config: Pick<Config, "workerThreads">): Piscina {
  const threads = Math.max(1, config.workerThreads);
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
