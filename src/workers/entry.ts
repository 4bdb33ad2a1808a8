/** Piscina's entry module: every worker task, one named export each (`pool.run(task, { name })`). */
import { getPriority, setPriority } from "node:os";
import Piscina from "piscina";
import { rowBuffers } from "./contact-batch.ts";
import processChunk, { type ChunkTask } from "./import-chunk.ts";

/**
 * Every task of the pool is background work (imports); the main thread serves webhooks, the API and sends. On
 * Linux a thread's nice value is its own: the pool's threads run at BACKGROUND_NICE, so when the two cores are
 * busy the kernel gives the main thread the CPU first (measured by bench:mixed, see README).
 */
const BACKGROUND_NICE = 10;
try {
  if (getPriority(0) < BACKGROUND_NICE) setPriority(0, BACKGROUND_NICE);
} catch {
  // Not permitted or not supported here: the pool runs at the process's priority.
}

/** Piscina entry: parses one chunk (workers/import-chunk.ts); its row buffers are moved to the caller, not copied. */
export function importChunk(task: ChunkTask): unknown {
  const result = processChunk(task);
  return Piscina.move({ [Piscina.transferableSymbol]: rowBuffers(result.contacts), [Piscina.valueSymbol]: result } as never);
}
export { default as commitChunk, mergeBatch } from "./import-commit.ts";
export { transcodeToUtf8 } from "./transcode.ts";
