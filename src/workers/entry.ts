/** Piscina's entry module: every worker task, one named export each (`pool.run(task, { name })`). */
export { default as importChunk } from "./import-chunk.ts";
export { transcodeToUtf8 } from "./transcode.ts";
