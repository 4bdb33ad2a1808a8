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
  return commitChunkSync(workerStore(task.dataDir), task, checkFor(task));
}

/** Piscina entry: phase two of an import, one batch of its merged runs in one transaction. */
export function mergeBatch(task: MergeTask): MergeAnswer {
  return mergeBatchSync(workerStore(task.dataDir), task, checkFor(task));
}
