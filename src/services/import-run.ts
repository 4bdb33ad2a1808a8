import { existsSync, rmSync, statSync } from "node:fs";
import type { Deps } from "../deps.ts";
import type { Storage } from "../storage/db.ts";
import { contactKeyPrefix, rawContactsDb } from "../storage/contacts.ts";
import { getImport, putImportSync, type ImportFormat, type ImportRecord } from "../storage/imports.ts";
import { FileFormatError } from "../workers/csv-format.ts";
import { nextLineStart, readRange } from "../workers/chunk-reader.ts";
import type { ChunkResult, ChunkTask } from "../workers/import-chunk.ts";
import { commitChunk } from "./import-commit.ts";
import { planFormat } from "./import-format.ts";

type RunDeps = Pick<Deps, "storage" | "pool" | "clock" | "log" | "config">;

/** Rows aimed at per batch (one worker task, one transaction). */
export const BATCH_ROWS = 10_000;
/** Suppression lists up to this size are read into memory once per import; bigger ones are checked per row. */
const SUPPRESSION_SET_MAX = 500_000;

/**
 * Runs an import to the end, or resumes it from its last committed batch (safe to re-run any time: a finished
 * import is left alone). Workers parse, normalise and enrich line-aligned byte ranges in parallel; this (main)
 * thread commits their results strictly in file order. A quoted line break switches to sequential reading from
 * that chunk on. A bad file ends as `failed` with a reason; other errors propagate so the job is retried.
 */
export async function runImport(deps: RunDeps, companyId: string, importId: string, onProgress?: (rec: ImportRecord) => void): Promise<ImportRecord | undefined> {
  let rec = getImport(deps.storage, companyId, importId);
  if (!rec || rec.status === "done" || rec.status === "failed") return rec;
  if (!existsSync(rec.format?.dataPath ?? rec.path)) {
    // Retrying cannot bring the upload back (e.g. an instance restored from a backup taken mid-import, which holds
    // the LMDB data but not the upload): end as failed, keeping the rows committed so far, instead of dead-lettering
    // the job and leaving the import `running` forever.
    rec = finish(deps.storage, rec, { status: "failed", error: "upload_missing: the uploaded file is gone (restored from a backup?); upload it again", finishedAt: deps.clock.now() });
    onProgress?.(rec);
    return rec;
  }
  try {
    if (!rec.format) rec = await fixFormat(deps, rec);
    rec = await readChunks(deps, rec, rec.format!, onProgress);
    rec = finish(deps.storage, rec, { status: "done", finishedAt: deps.clock.now() });
  } catch (e) {
    if (!(e instanceof FileFormatError)) throw e;
    rec = finish(deps.storage, rec, { status: "failed", error: `${e.reason}: ${e.message}`, finishedAt: deps.clock.now() });
  }
  onProgress?.(rec);
  return rec;
}

async function fixFormat(deps: RunDeps, rec: ImportRecord): Promise<ImportRecord> {
  const { bytesTotal, headerLines, ...format } = await planFormat(deps.pool, rec);
  const next: ImportRecord = { ...rec, status: "running", format, bytesTotal, bytesDone: format.dataStart, checkpoint: { offset: format.dataStart, line: headerLines, sequential: false } };
  deps.storage.env.transactionSync(() => putImportSync(deps.storage, next));
  return next;
}

function finish(s: Storage, rec: ImportRecord, change: Partial<ImportRecord>): ImportRecord {
  const next = { ...rec, ...change };
  if (next.status === "done") next.bytesDone = next.bytesTotal;
  s.env.transactionSync(() => putImportSync(s, next));
  if (rec.format && rec.format.dataPath !== rec.path) rmSync(rec.format.dataPath, { force: true });
  if (rec.ownsFile) rmSync(rec.path, { force: true });
  return next;
}

async function readChunks(deps: RunDeps, start: ImportRecord, format: ImportFormat, onProgress?: (rec: ImportRecord) => void): Promise<ImportRecord> {
  let rec = start;
  const fileSize = statSync(format.dataPath).size;
  const chunkBytes = estimateChunkBytes(rec, format, fileSize);
  const isSuppressed = suppressionCheck(deps.storage, rec.companyId);
  const keyPrefix = contactKeyPrefix(rec.companyId, rec.listId);
  rawContactsDb(deps.storage); // opened before the first transaction
  const base = { path: format.dataPath, fileSize, delimiter: format.delimiter, fields: format.fields, phoneIndex: format.phoneIndex, defaultCountry: rec.defaultCountry, dataDir: deps.config.dataDir, keyPrefix };
  const run = (task: ChunkTask) => deps.pool.run(task, { name: "importChunk" }) as Promise<ChunkResult>;
  const inFlight: Promise<ChunkResult>[] = [];
  let next = rec.checkpoint.offset;
  let sequential = rec.checkpoint.sequential;
  const maxInFlight = Math.max(2, deps.config.workerThreads * 2);
  while (rec.checkpoint.offset < fileSize) {
    if (sequential) {
      const r = await run({ ...base, start: rec.checkpoint.offset, end: rec.checkpoint.offset + chunkBytes, sequential: true });
      rec = await commitChunk(deps.storage, rec, r, isSuppressed, true);
      onProgress?.(rec);
      continue;
    }
    while (inFlight.length < maxInFlight && next < fileSize) {
      const end = nextLineStart(format.dataPath, Math.min(fileSize, next + chunkBytes), fileSize);
      inFlight.push(run({ ...base, start: next, end, sequential: false }));
      next = end;
    }
    const r = await inFlight.shift()!;
    if (r.unsafe) {
      // Quoted line breaks: nothing from this chunk on is trusted; read on one window at a time.
      await Promise.allSettled(inFlight.splice(0));
      sequential = true;
      continue;
    }
    rec = await commitChunk(deps.storage, rec, r, isSuppressed, false);
    onProgress?.(rec);
  }
  return rec;
}

/** Bytes per chunk for about BATCH_ROWS rows, from the average line length in the file's head. */
function estimateChunkBytes(rec: ImportRecord, format: ImportFormat, fileSize: number): number {
  const sample = Math.min(fileSize - format.dataStart, 1024 * 1024);
  if (sample <= 0) return 64 * 1024;
  const bytes = readRange(format.dataPath, format.dataStart, format.dataStart + sample);
  let lines = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
  const avg = sample / Math.max(1, lines);
  return Math.min(8 * 1024 * 1024, Math.max(16 * 1024, Math.round(avg * BATCH_ROWS)));
}

/** Membership test for the company's suppression list: an in-memory set when small, else an LMDB read per row. */
function suppressionCheck(s: Storage, companyId: string): (phone: string) => boolean {
  const db = s.db("suppressions");
  const phones = new Set<string>();
  for (const key of db.getKeys({ start: [companyId], end: [companyId, "\uffff"], limit: SUPPRESSION_SET_MAX + 1 })) phones.add((key as string[])[1]!);
  if (phones.size <= SUPPRESSION_SET_MAX) return (phone) => phones.has(phone);
  return (phone) => db.doesExist([companyId, phone]);
}
