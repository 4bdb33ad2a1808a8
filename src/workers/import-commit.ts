import { commitChunkSync, mergeBatchSync, suppressionCheck, type CommitAnswer, type CommitTask, type MergeAnswer, type MergeTask, type SuppressionCheck } from "../services/import-commit.ts";
import { workerStore } from "./worker-store.ts";

/** The suppression check of the import run this worker last wrote for (read once per run, not per batch). */
let checks: { run: string; isSuppressed: SuppressionCheck } | undefined;

function checkFor(task: CommitTask | MergeTask): SuppressionCheck {
  if (checks?.run !== task.run) checks = { run: task.run, isSuppressed: suppressionCheck(workerStore(task.dataDir), task.companyId) };
  return checks.isSuppressed;
}

/** Piscina entry: phase one of an import, one parsed chunk in file order (services/import-commit.ts). */
export default function commitChunk(task: CommitTask): CommitAnswer {
  const answer = commitChunkSync(workerStore(task.dataDir), task, checkFor(task));
  // A written run leaves ~60 MB of moved-in buffers behind, which this thread's collector (it allocates little
  // else) left for later: anon memory grew through a 5M import's reading, 390 → 811 MiB. Collected now, on this
  // otherwise idle thread, while the parse threads go on.
  if (answer.wroteRun) Bun.gc(true);
  return answer;
}

/** Piscina entry: phase two of an import, one batch of its merged runs in one transaction. */
export function mergeBatch(task: MergeTask): MergeAnswer {
  const answer = mergeBatchSync(workerStore(task.dataDir), task, checkFor(task));
  // The same for phase two's garbage (a few small views a row): a full collection every GC_EVERY_BATCHES batches
  // took 10–19 ms against ~0.8 s of writing (5M import); without it a 50M import's anon memory rose from ~500 to
  // ~700 MiB while it wrote.
  if (++mergeBatches % GC_EVERY_BATCHES === 0) Bun.gc(true);
  return answer;
}

let mergeBatches = 0;
const GC_EVERY_BATCHES = 50;
