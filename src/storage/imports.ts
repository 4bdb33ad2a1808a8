import { dirname, isAbsolute, join, relative } from "node:path";
import type { Store } from "./db.ts";

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

/**
 * Where an import resumes, committed with what it counted. Phase one (reading): `offset`/`line` move with every
 * sorted run written (`runs` of them so far). Phase two (writing the runs' contacts in key order): `merged` is the
 * byte reached in each run. Records from before runs existed have neither: their rows up to `offset` are stored.
 */
export interface ImportCheckpoint {
  offset: number;
  line: number;
  sequential: boolean;
  runs?: number;
  merged?: number[];
}

/** An import and its resume checkpoint (moved in the same transaction as the rows it covers). */
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
  checkpoint: ImportCheckpoint;
}

/** The import, or undefined when it does not exist in this company. */
export function getImport(s: Store, companyId: string, importId: string): ImportRecord | undefined {
  const rec = s.db("imports").get([companyId, importId]) as ImportRecord | undefined;
  return rec && mapPaths(rec, (p) => (isAbsolute(p) ? p : join(dataDirOf(s), p)));
}

/**
 * Files under DATA_DIR (uploads, their UTF-8 copies) are stored relative to it and read back absolute, so an
 * instance restored from a backup, or a moved DATA_DIR, resumes from its own files and never reads (or waits on)
 * the original's. A file outside DATA_DIR (the CLI's local file) stays absolute.
 */
function storedPath(s: Store, path: string): string {
  const rel = relative(dataDirOf(s), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

const dataDirOf = (s: Store) => dirname(s.path);

function mapPaths(rec: ImportRecord, f: (path: string) => string): ImportRecord {
  return { ...rec, path: f(rec.path), ...(rec.format ? { format: { ...rec.format, dataPath: f(rec.format.dataPath) } } : {}) };
}

/**
 * Writes an import record and moves `importTotals` by what changed since the stored one (rows per outcome, running
 * or not), in the same transaction, so the totals are exact across crashes and resumes. Call inside the caller's
 * transaction when it commits with other changes.
 */
export function putImportSync(s: Store, rec: ImportRecord): void {
  const db = s.db("imports");
  const key = [rec.companyId, rec.id];
  const before = db.get(key) as ImportRecord | undefined;
  const delta = (k: ImportTotal, n: number) => {
    if (n !== 0) s.db("importTotals").putSync(k, readTotal(s, k) + n);
  };
  for (const o of IMPORT_OUTCOMES) delta(o, rec[o] - (before?.[o] ?? 0));
  delta("running", Number(rec.status === "running") - Number(before?.status === "running"));
  db.putSync(key, mapPaths(rec, (p) => storedPath(s, p)));
}

/** How the rows of an import end, as counted in `ImportCounters` and `importTotals`. */
export const IMPORT_OUTCOMES = ["imported", "duplicates", "invalid", "suppressed"] as const;
export type ImportTotal = (typeof IMPORT_OUTCOMES)[number] | "running";

const readTotal = (s: Store, k: ImportTotal): number => (s.db("importTotals").get(k) as number | undefined) ?? 0;

/** Rows of every import so far by outcome, and how many imports are running now: five reads, no scan. */
export function readImportTotals(s: Store): Record<ImportTotal, number> {
  return { imported: readTotal(s, "imported"), duplicates: readTotal(s, "duplicates"), invalid: readTotal(s, "invalid"), suppressed: readTotal(s, "suppressed"), running: readTotal(s, "running") };
}

/** Recounts `importTotals` from every import record (the schema migration that introduced them). */
export function rebuildImportTotalsSync(s: Store): void {
  const totals: Record<ImportTotal, number> = { imported: 0, duplicates: 0, invalid: 0, suppressed: 0, running: 0 };
  for (const { value } of s.db("imports").getRange()) {
    const rec = value as ImportRecord;
    for (const o of IMPORT_OUTCOMES) totals[o] += rec[o];
    if (rec.status === "running") totals.running++;
  }
  for (const [k, n] of Object.entries(totals)) s.db("importTotals").putSync(k, n);
}

/** Rejected rows of an import in line order: [line, reason, raw]. */
export function* importErrors(s: Store, companyId: string, importId: string): Generator<[number, string, string]> {
  for (const { key, value } of s.db("importErrors").getRange({ start: [companyId, importId], end: [companyId, importId, Infinity] })) {
    yield [(key as [string, string, number])[2], value[0], value[1]];
  }
}
