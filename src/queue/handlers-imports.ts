import type { Deps } from "../deps.ts";
import { runImport } from "../services/import-run.ts";
import { IMPORT_JOB, IMPORTS_QUEUE } from "../services/imports.ts";
import { LIST_DELETE_JOB, runListDeletion } from "../services/lists.ts";
import type { Runner } from "./runner.ts";

/** Queues whose work comes first: while they run, background jobs commit small batches. */
export const FOREGROUND_QUEUES = ["webhooks", "sends"] as const;

type ImportRef = { companyId: string; importId: string };
type ListRef = { companyId: string; listId: string };

/** Import and list-deletion jobs on the `imports` queue. Both resume where they stopped when re-run. */
export function registerImportHandlers(runner: Pick<Runner, "register">, deps: Deps): void {
  const foregroundBusy = () => deps.queue.foregroundBusy(FOREGROUND_QUEUES);
  runner.register(IMPORT_JOB, async (job) => void (await runImport(deps, (job.data as ImportRef).companyId, (job.data as ImportRef).importId, undefined, foregroundBusy)), { queue: IMPORTS_QUEUE });
  runner.register(LIST_DELETE_JOB, (job) => runListDeletion(deps, (job.data as ListRef).companyId, (job.data as ListRef).listId), { queue: IMPORTS_QUEUE });
}
