import type { Storage } from "./db.ts";

export type ImportStatus = "queued" | "running" | "done" | "failed";

/** Per-import counters, shown live by `GET /api/v1/imports/:id`; `rows = imported + duplicates + invalid + suppressed`. */
export interface ImportCounters {
  bytesTotal: number;
  bytesDone: number;
  rows: number;
  imported: number;
  duplicates: number;
  invalid: number;
  suppressed: number;
}

/** What the workers need to read the file: fixed once, before the first batch, so a resume reads it the same way. */
export interface ImportFormat {
  /** The file actually parsed (a UTF-8 copy for UTF-16 uploads). */
  dataPath: string;
  delimiter: string;
  fields: string[];
  phoneIndex: number;
  /** Byte offset where data rows start (after BOM and header). */
  dataStart: number;
}

/** An import and its resume checkpoint: `offset`/`line` move with every committed batch, in the same transaction. */
export interface ImportRecord extends ImportCounters {
  v: 1;
  id: string;
  companyId: string;
  listId: string;
  status: ImportStatus;
  /** The uploaded file (under DATA_DIR/uploads), or the local file given to the CLI. */
  path: string;
  /** True when Pombo owns the file and removes it once the import is over. */
  ownsFile: boolean;
  phoneColumn?: string;
  defaultCountry: string;
  createdAt: number;
  finishedAt?: number;
  error?: string;
  format?: ImportFormat;
  checkpoint: { offset: number; line: number; sequential: boolean };
}

/** The import, or undefined when it does not exist in this company. */
export function getImport(s: Storage, companyId: string, importId: string): ImportRecord | undefined {
  return s.db("imports").get([companyId, importId]);
}

/** Writes an import record; call inside the caller's transaction when it commits with other changes. */
export function putImportSync(s: Storage, rec: ImportRecord): void {
  s.db("imports").putSync([rec.companyId, rec.id], rec);
}

/** Rejected rows of an import in line order: [line, reason, raw]. */
export function* importErrors(s: Storage, companyId: string, importId: string): Generator<[number, string, string]> {
  for (const { key, value } of s.db("importErrors").getRange({ start: [companyId, importId], end: [companyId, importId, Infinity] })) {
    yield [(key as [string, string, number])[2], value[0], value[1]];
  }
}
