import type { Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { isKnownCountry } from "../domain/phone.ts";
import { newId } from "../storage/ids.ts";
import { putImportSync, type ImportRecord } from "../storage/imports.ts";
import { getList } from "../storage/lists.ts";

/** Job that runs (or resumes) an import: data `{companyId, importId}`, queue `imports`. */
export const IMPORT_JOB = "import.run";
export const IMPORTS_QUEUE = "imports";

/** A file ready to import: where it is, its size, whether Pombo owns (and later removes) it. */
export interface ImportFile {
  path: string;
  bytes: number;
  ownsFile: boolean;
}

export interface ImportOptions {
  phoneColumn?: string;
  defaultCountry?: string;
}

/**
 * Records an import of `file` into a list (status `queued`) and, unless `enqueue` is false (the CLI runs it
 * itself), queues its job in the same transaction.
 * @throws DomainError not_found (list of another company or unknown), invalid (unknown default country).
 */
export function createImport(deps: Pick<Deps, "storage" | "clock" | "queue">, companyId: string, listId: string, file: ImportFile, opts: ImportOptions = {}, enqueue = true): ImportRecord {
  if (!getList(deps.storage, companyId, listId)) throw notFound("list");
  const defaultCountry = (opts.defaultCountry ?? "US").toUpperCase();
  if (!isKnownCountry(defaultCountry)) throw new DomainError("invalid", "unknown_country", `defaultCountry "${opts.defaultCountry}" is not a known ISO country code`);
  const rec: ImportRecord = {
    v: 1,
    id: newId(),
    companyId,
    listId,
    status: "queued",
    path: file.path,
    ownsFile: file.ownsFile,
    phoneColumn: opts.phoneColumn || undefined,
    defaultCountry,
    createdAt: deps.clock.now(),
    bytesTotal: file.bytes,
    bytesDone: 0,
    rows: 0,
    imported: 0,
    duplicates: 0,
    invalid: 0,
    suppressed: 0,
    checkpoint: { offset: 0, line: 0, sequential: false },
  };
  deps.storage.env.transactionSync(() => {
    putImportSync(deps.storage, rec);
    if (enqueue) deps.queue.enqueueSync({ name: IMPORT_JOB, data: { companyId, importId: rec.id }, queue: IMPORTS_QUEUE, key: `import:${rec.id}` });
  });
  return rec;
}

/** The public shape of an import (`GET /api/v1/imports/:id`). */
export function importView(rec: ImportRecord) {
  const { id, listId, status, bytesTotal, bytesDone, rows, imported, duplicates, invalid, suppressed, error } = rec;
  return { id, listId, status, bytesTotal, bytesDone, rows, imported, duplicates, invalid, suppressed, ...(error ? { error } : {}) };
}
