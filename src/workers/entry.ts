/** Piscina's entry module: every worker task, one named export each (`pool.run(task, { name })`). */
import { getPriority, setPriority } from "node:os";

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

// A chunk's result comes back copied, not moved: Piscina.move marks a value with a symbol private to its module,
// and in the compiled binary this entry and Piscina's worker each bundle their own copy of it (the wrapper then
// arrived as an empty object). The main thread moves it on to the writer (import-commit.ts ChunkCommitter).
export { default as importChunk } from "./import-chunk.ts";
export { default as commitChunk, mergeBatch } from "./import-commit.ts";
export { transcodeToUtf8 } from "./transcode.ts";
