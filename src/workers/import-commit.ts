import { commitChunkSync, suppressionCheck, type CommitAnswer, type CommitTask, type SuppressionCheck } from "../services/import-commit.ts";
import { workerStore } from "./worker-store.ts";

/** The suppression check of the import run this worker last committed for (read once per run, not per batch). */
let checks: { run: string; isSuppressed: SuppressionCheck } | undefined;

/** Piscina entry: writes one parsed chunk of an import in one transaction (services/import-commit.ts). */
export default function commitChunk(task: CommitTask): CommitAnswer {
  const s = workerStore(task.dataDir);
  if (checks?.run !== task.run) checks = { run: task.run, isSuppressed: suppressionCheck(s, task.companyId) };
  return commitChunkSync(s, task, checks.isSuppressed);
}
