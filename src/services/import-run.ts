import { existsSync, rmSync, statSync } from "node:fs";
import type { Deps } from "../deps.ts";
import { contactKeyPrefix } from "../storage/contacts.ts";
import { getImport, putImportSync, type ImportFormat, type ImportRecord } from "../storage/imports.ts";
import { FileFormatError } from "../workers/csv-format.ts";
import { nextLineStart, readRange } from "../workers/chunk-reader.ts";
import type { ChunkResult, ChunkTask } from "../workers/import-chunk.ts";
import { ChunkCommitter, type CommitAnswer } from "./import-commit.ts";
import { runPath, runsDir } from "./import-runs.ts";
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

/** Contacts per sorted run unless configured (`IMPORT_RUN_ROWS`): ~60 MB of the writer thread's memory. */
export const RUN_ROWS = 250_000;

/** Rows aimed at per phase-one chunk and per phase-two batch (one worker task; one transaction in phase two). */
export const BATCH_ROWS = 10_000;
/**
 * Rows per batch while foreground work (webhooks, sends) runs: a batch holds the single LMDB writer in one piece
 * (~20 µs a row under load), so 10,000 rows would make every send and report commit wait ~200 ms; 1,000 rows
 * keep that near 20 ms.
 */
export const BUSY_BATCH_ROWS = 1_000;

/**
 * Runs an import to the end, or resumes it from its last checkpoint (safe to re-run any time: a finished import
 * is left alone). Two phases (services/import-runs.ts says why): the file is read into sorted runs on disk, then
 * the runs are merged into the list in key order. A bad file ends as `failed` with a reason; other errors
 * propagate so the job is retried.
 */
export async function runImport(deps: RunDeps, companyId: string, importId: string, onProgress?: (rec: ImportRecord) => void, isForegroundBusy?: ForegroundProbe): Promise<ImportRecord | undefined> {
  let rec = getImport(deps.storage, companyId, importId);
  if (!rec || rec.status === "done" || rec.status === "failed") return rec;
  if (!existsSync(rec.format?.dataPath ?? rec.path)) {
    // Retrying cannot bring the upload back (e.g. an instance restored from a backup taken mid-import, which holds
    // the LMDB data but not the upload): end as failed, keeping the rows committed so far, instead of dead-lettering
    // the job and leaving the import `running` forever.
    rec = finish(deps, rec, { status: "failed", error: "upload_missing: the uploaded file is gone (restored from a backup?); upload it again", finishedAt: deps.clock.now() });
    onProgress?.(rec);
    return rec;
  }
  const missing = missingRun(deps.config.dataDir, rec);
  if (missing) {
    // The same for a sorted run (backups hold LMDB and the journal, not an import's temporary files).
    rec = finish(deps, rec, { status: "failed", error: `runs_missing: ${missing} is gone (restored from a backup taken mid-import?); upload the file again`, finishedAt: deps.clock.now() });
    onProgress?.(rec);
    return rec;
  }
  try {
    if (!rec.format) rec = await fixFormat(deps, rec);
    const committer = new ChunkCommitter(deps.pool, { dataDir: deps.config.dataDir, run: crypto.randomUUID(), companyId, importId, runRows: deps.config.importRunRows ?? RUN_ROWS });
    rec = await readChunks(deps, committer, rec, rec.format!, onProgress, isForegroundBusy);
    rec = await writeRuns(committer, rec, onProgress, isForegroundBusy);
    rec = finish(deps, rec, { status: "done", finishedAt: deps.clock.now() });
  } catch (e) {
    if (!(e instanceof FileFormatError)) throw e;
    rec = finish(deps, rec, { status: "failed", error: `${e.reason}: ${e.message}`, finishedAt: deps.clock.now() });
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

/** A run file phase one committed that is not on disk, or undefined. */
function missingRun(dataDir: string, rec: ImportRecord): string | undefined {
  const dir = runsDir(dataDir, rec.id);
  for (let i = 0; i < (rec.checkpoint.runs ?? 0); i++) if (!existsSync(runPath(dir, i))) return `run ${i} of the import (${runPath(dir, i)})`;
  return undefined;
}

function finish(deps: RunDeps, rec: ImportRecord, change: Partial<ImportRecord>): ImportRecord {
  const s = deps.storage;
  const next = { ...rec, ...change };
  if (next.status === "done") next.bytesDone = next.bytesTotal;
  s.env.transactionSync(() => putImportSync(s, next));
  rmSync(runsDir(deps.config.dataDir, rec.id), { recursive: true, force: true });
  if (rec.format && rec.format.dataPath !== rec.path) rmSync(rec.format.dataPath, { force: true });
  if (rec.ownsFile) rmSync(rec.path, { force: true });
  return next;
}

/**
 * Phase one: workers parse, normalise and enrich line-aligned byte ranges in parallel; the writer thread takes
 * them strictly in file order and writes them as sorted runs (ChunkCommitter, `commitChunk`). This thread only
 * plans and orders. A quoted line break switches to sequential reading from that chunk on.
 */
async function readChunks(deps: RunDeps, committer: ChunkCommitter, start: ImportRecord, format: ImportFormat, onProgress?: (rec: ImportRecord) => void, isForegroundBusy?: ForegroundProbe): Promise<ImportRecord> {
  const fileSize = statSync(format.dataPath).size;
  const chunkBytes = estimateChunkBytes(start, format, fileSize);
  const keyPrefix = contactKeyPrefix(start.companyId, start.listId);
  const base = { path: format.dataPath, fileSize, delimiter: format.delimiter, fields: format.fields, phoneIndex: format.phoneIndex, defaultCountry: start.defaultCountry, dataDir: deps.config.dataDir, keyPrefix };
  const run = (task: ChunkTask) => deps.pool.run(task, { name: "importChunk" }) as Promise<ChunkResult>;
  let pending: Promise<CommitAnswer> | undefined;
  let committed = { record: start, next: start.checkpoint.offset };
  const handedOver: Promise<CommitAnswer>[] = [];
  const settle = async () => {
    const p = pending;
    pending = undefined;
    handedOver.length = 0;
    if (p) committed = await p; // commits run in order: the last one done means all are
    return committed;
  };
  const queue = (r: ChunkResult, sequential: boolean) => {
    pending = committer.commit(r, sequential, r.end >= fileSize);
    pending.then((answer) => {
      if (answer.record.checkpoint.offset !== shown) onProgress?.(answer.record);
      shown = answer.record.checkpoint.offset;
    }, () => {}); // awaited later; never an unhandled rejection meanwhile
  };
  let shown = start.checkpoint.offset;
  // Chunks being parsed, in file order.
  const inFlight: Promise<ChunkResult>[] = [];
  let next = start.checkpoint.offset;
  let queuedEnd = start.checkpoint.offset;
  let sequential = start.checkpoint.sequential;
  // While foreground work runs, one chunk is parsed at a time: one parse thread's worth of CPU. Nice values do
  // not reach across a core's hyperthreads, so the other parse thread would slow the main thread down anyway.
  const maxInFlight = () => (isForegroundBusy?.() ? 1 : Math.max(2, deps.config.workerThreads * 2));
  while (queuedEnd < fileSize) {
    if (sequential) {
      const from = (await settle()).next;
      const r = await run({ ...base, start: from, end: from + chunkBytes, sequential: true });
      queue(r, true);
      queuedEnd = r.end;
      continue;
    }
    while (inFlight.length < maxInFlight() && next < fileSize) {
      const end = nextLineStart(format.dataPath, Math.min(fileSize, next + chunkBytes), fileSize);
      const result = run({ ...base, start: next, end, sequential: false });
      result.catch(() => {}); // awaited in order below; one left behind (pool closed, import ended) must not go unhandled
      inFlight.push(result);
      next = end;
    }
    const r = await inFlight.shift()!;
    if (r.unsafe) {
      // Quoted line breaks: nothing from this chunk on is trusted; read on one window at a time.
      await Promise.allSettled(inFlight.splice(0));
      sequential = true;
      continue;
    }
    queue(r, false);
    queuedEnd = r.end;
    // Taking a chunk is quick, writing a run is not (~0.1–0.3 s): parsing goes on meanwhile, up to MAX_HANDED_OVER.
    if (handedOver.push(pending!) > MAX_HANDED_OVER) await handedOver.shift();
  }
  return (await settle()).record;
}

/** Parsed chunks handed to the writer thread and not yet taken (~2–3 MB each). */
const MAX_HANDED_OVER = 8;

/**
 * Phase two: the runs' contacts merged in key order, BATCH_ROWS per transaction (BUSY_BATCH_ROWS while
 * foreground work runs, resting between batches: yieldToForeground).
 */
async function writeRuns(committer: ChunkCommitter, rec: ImportRecord, onProgress?: (rec: ImportRecord) => void, isForegroundBusy?: ForegroundProbe): Promise<ImportRecord> {
  for (let done = (rec.checkpoint.runs ?? 0) === 0; !done; ) {
    await yieldToForeground(isForegroundBusy, committer.lastHoldMs);
    const answer = await committer.merge(isForegroundBusy?.() ? BUSY_BATCH_ROWS : BATCH_ROWS);
    rec = answer.record;
    done = answer.done;
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
