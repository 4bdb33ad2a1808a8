import { existsSync, rmSync, statSync } from "node:fs";
import type { Deps } from "../deps.ts";
import type { Storage } from "../storage/db.ts";
import { contactKeyPrefix } from "../storage/contacts.ts";
import { getImport, putImportSync, type ImportFormat, type ImportRecord } from "../storage/imports.ts";
import { FileFormatError } from "../workers/csv-format.ts";
import { nextLineStart, readRange } from "../workers/chunk-reader.ts";
import type { ChunkResult, ChunkTask } from "../workers/import-chunk.ts";
import { ChunkCommitter } from "./import-commit.ts";
import { planFormat } from "./import-format.ts";

type RunDeps = Pick<Deps, "storage" | "pool" | "clock" | "log" | "config">;

/** Tells the import whether foreground work (webhooks, sends) is running right now. */
export type ForegroundProbe = () => boolean;

/**
 * Background work gives way (SPEC: an import must never starve webhooks and sends): while foreground work runs
 * the import rests FOREGROUND_SHARE times as long as its last batch held the single LMDB writer (commit
 * included), so it takes at most a third of it and sends commit in between; batches are small then (see
 * BUSY_BATCH_ROWS). The batches are written in a pool worker, not on the event loop, and the pool's threads
 * run at a lower CPU priority (workers/entry.ts).
 */
async function yieldToForeground(isBusy: ForegroundProbe | undefined, lastHoldMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  if (isBusy?.()) await new Promise((r) => setTimeout(r, Math.min(MAX_REST_MS, FOREGROUND_SHARE * lastHoldMs)));
}

/** While foreground work runs, the import rests this many times as long as its last batch took. */
const FOREGROUND_SHARE = 2;
/** Longest rest between two batches. */
const MAX_REST_MS = 250;

/** Rows aimed at per batch (one worker task, one transaction). */
export const BATCH_ROWS = 10_000;
/**
 * Rows per batch while foreground work (webhooks, sends) runs: a batch holds the single LMDB writer in one piece
 * (~20 µs a row under load), so 10,000 rows would make every send and report commit wait ~200 ms; 1,000 rows
 * keep that near 20 ms.
 */
export const BUSY_BATCH_ROWS = 1_000;

/**
 * Runs an import to the end, or resumes it from its last committed batch (safe to re-run any time: a finished
 * import is left alone). Workers parse, normalise and enrich line-aligned byte ranges in parallel and commit the
 * results strictly in file order, one batch at a time (ChunkCommitter); this thread only plans and orders them.
 * A quoted line break switches to sequential reading from that chunk on. A bad file ends as `failed` with a reason; other errors propagate so the job is retried.
 */
export async function runImport(deps: RunDeps, companyId: string, importId: string, onProgress?: (rec: ImportRecord) => void, isForegroundBusy?: ForegroundProbe): Promise<ImportRecord | undefined> {
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
    rec = await readChunks(deps, rec, rec.format!, onProgress, isForegroundBusy);
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

async function readChunks(deps: RunDeps, start: ImportRecord, format: ImportFormat, onProgress?: (rec: ImportRecord) => void, isForegroundBusy?: ForegroundProbe): Promise<ImportRecord> {
  const fileSize = statSync(format.dataPath).size;
  const fullBytes = estimateChunkBytes(start, format, fileSize);
  const busyBytes = Math.max(16 * 1024, Math.round((fullBytes * BUSY_BATCH_ROWS) / BATCH_ROWS));
  const chunkBytes = () => (isForegroundBusy?.() ? busyBytes : fullBytes);
  const keyPrefix = contactKeyPrefix(start.companyId, start.listId);
  const base = { path: format.dataPath, fileSize, delimiter: format.delimiter, fields: format.fields, phoneIndex: format.phoneIndex, defaultCountry: start.defaultCountry, dataDir: deps.config.dataDir, keyPrefix };
  const run = (task: ChunkTask) => deps.pool.run(task, { name: "importChunk" }) as Promise<ChunkResult>;
  const committer = new ChunkCommitter(deps.pool, { dataDir: deps.config.dataDir, run: crypto.randomUUID(), companyId: start.companyId, importId: start.id });
  // At most two commits outstanding: batch N+1 is handed over (and waits in ChunkCommitter) while N is written.
  let pending: Promise<ImportRecord> | undefined;
  let committed = start;
  const settle = async () => {
    const p = pending;
    pending = undefined;
    if (p) {
      committed = await p;
      onProgress?.(committed);
    }
    return committed;
  };
  const queue = (r: ChunkResult, sequential: boolean) => {
    pending = committer.commit(r, sequential);
    pending.catch(() => {}); // awaited later; never an unhandled rejection meanwhile
  };
  // Chunks being parsed, in file order; `small` when planned while foreground work ran (BUSY_BATCH_ROWS).
  const inFlight: Array<{ result: Promise<ChunkResult>; small: boolean }> = [];
  let next = start.checkpoint.offset;
  let queuedEnd = start.checkpoint.offset;
  let sequential = start.checkpoint.sequential;
  const maxInFlight = Math.max(2, deps.config.workerThreads * 2);
  while (queuedEnd < fileSize) {
    if (sequential) {
      const from = (await settle()).checkpoint.offset;
      const r = await run({ ...base, start: from, end: from + chunkBytes(), sequential: true });
      queue(r, true);
      queuedEnd = r.end;
      continue;
    }
    while (inFlight.length < maxInFlight && next < fileSize) {
      const bytes = chunkBytes();
      const end = nextLineStart(format.dataPath, Math.min(fileSize, next + bytes), fileSize);
      const result = run({ ...base, start: next, end, sequential: false });
      result.catch(() => {}); // awaited in order below; one left behind (pool closed, import ended) must not go unhandled
      inFlight.push({ result, small: bytes === busyBytes });
      next = end;
    }
    const { result, small } = inFlight.shift()!;
    const r = await result;
    if (!small && !r.unsafe && r.rows > 2 * BUSY_BATCH_ROWS && isForegroundBusy?.()) {
      // Planned as a full batch before foreground work began: committing it now would hold the event loop for
      // hundreds of ms. Read the range again in small batches (the workers' parse is what gets repeated).
      await Promise.allSettled(inFlight.splice(0).map((c) => c.result));
      next = queuedEnd;
      continue;
    }
    if (r.unsafe) {
      // Quoted line breaks: nothing from this chunk on is trusted; read on one window at a time.
      await Promise.allSettled(inFlight.splice(0).map((c) => c.result));
      sequential = true;
      continue;
    }
    const previous = settle();
    previous.catch(() => {}); // awaited below; a commit failing meanwhile (e.g. the pool closing) is not unhandled
    await yieldToForeground(isForegroundBusy, committer.lastHoldMs);
    queue(r, false);
    queuedEnd = r.end;
    await previous;
  }
  return settle();
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
