import type { Store } from "../storage/db.ts";
import { getImport, putImportSync, type ImportRecord } from "../storage/imports.ts";
import { contactKeyPrefix } from "../storage/contacts.ts";
import { getListRecord, putListSync } from "../storage/lists.ts";
import { rowBuffers, type ContactRows } from "../workers/contact-batch.ts";
import type { ChunkResult } from "../workers/import-chunk.ts";
import { Merge, phoneOf, RunReader, runPath, runsDir, writeRun } from "./import-runs.ts";

/** What every writer task of an import names: the import, and the run (one `runImport` call) it belongs to. */
interface ImportTask {
  dataDir: string;
  /** Names one run of the import: a worker reads the suppression list once per run and keeps its state per run. */
  run: string;
  companyId: string;
  importId: string;
}

/** Phase one (`commitChunk`): a parsed chunk, in file order. */
export interface CommitTask extends ImportTask {
  result: ChunkResult;
  sequential: boolean;
  /** The file's last chunk: the run is written now, however small. */
  final: boolean;
  /** Contacts sorted in memory per run (config `importRunRows`). */
  runRows: number;
}

/** Phase two (`mergeBatch`): the next `maxRows` contacts of the merged runs, in one transaction. */
export interface MergeTask extends ImportTask {
  maxRows: number;
}

/** After a phase-one chunk: the stored record, and the byte where the next chunk must start. */
export interface CommitAnswer {
  record: ImportRecord;
  next: number;
  holdMs: number;
  /** This chunk completed a run: the gathered chunks were written out (and are garbage now). */
  wroteRun?: true;
}

/** After a phase-two batch: the record, whether the runs are all written, how long it held the writer (ms). */
export interface MergeAnswer {
  record: ImportRecord;
  done: boolean;
  holdMs: number;
}

type Pool = { run(task: unknown, options: { name: string; transferList?: ArrayBuffer[] }): Promise<unknown> };

/**
 * Runs an import's writer tasks strictly in order on the pool's writer thread: phase one's chunks in file order
 * (`commit`), then phase two's batches (`merge`). Each may be called again before the previous task resolves: it
 * runs once that one is done. After a failed task, later ones write nothing.
 */
export class ChunkCommitter {
  private last: Promise<unknown> = Promise.resolve();
  /** How long the last batch held the single writer (ms, in its worker, commit included). */
  lastHoldMs = 0;

  constructor(
    private readonly pool: Pool,
    private readonly base: ImportTask & { runRows: number },
  ) {}

  /** Queues one parsed chunk. @throws Error once the pool is closing. */
  commit(result: ChunkResult, sequential: boolean, final: boolean): Promise<CommitAnswer> {
    return this.enqueue("commitChunk", { ...this.base, result, sequential, final } satisfies CommitTask, rowBuffers(result.contacts));
  }

  /** Queues one batch of phase two. @throws Error once the pool is closing. */
  merge(maxRows: number): Promise<MergeAnswer> {
    const { runRows: _, ...base } = this.base;
    return this.enqueue("mergeBatch", { ...base, maxRows } satisfies MergeTask);
  }

  /** `transferList`: buffers moved to the writer thread (unusable here afterwards). */
  private enqueue<T extends { holdMs: number }>(name: string, task: CommitTask | MergeTask, transferList?: ArrayBuffer[]): Promise<T> {
    const commits = commitsOf(this.pool);
    const done = this.last.then(() => {
      if (commits.closing) throw new Error("import paused: the worker pool is closing (the import resumes after the restart)");
      return this.pool.run(task, { name, transferList }) as Promise<T>;
    });
    this.last = done;
    commits.running.add(done);
    const forget = () => void commits.running.delete(done);
    done.then(forget, forget);
    return done.then((answer) => {
      this.lastHoldMs = answer.holdMs;
      return answer;
    });
  }
}

/** Per pool: the commits queued or running, and whether the pool is about to close. */
const poolCommits = new WeakMap<Pool, { closing: boolean; running: Set<Promise<unknown>> }>();
const commitsOf = (pool: Pool) => {
  let c = poolCommits.get(pool);
  if (!c) poolCommits.set(pool, (c = { closing: false, running: new Set() }));
  return c;
};

/**
 * Call before closing or destroying the pool: refuses new import commits and resolves once none is queued or
 * running. A worker terminated inside its write transaction never releases lmdb's per-thread write lock, and its
 * own exit then waits on that lock for ever (seen: a shutdown that hung in lmdb's `cleanupStrayTxns`).
 */
export async function stopImportCommits(pool: Pool): Promise<void> {
  const commits = commitsOf(pool);
  commits.closing = true;
  while (commits.running.size > 0) await Promise.allSettled([...commits.running]);
}

/** Phase one's rows since the last written run, held by the writer thread (lost in a crash: read again). */
interface Stash {
  run: string;
  /** The committed checkpoint this stash continues from, and the byte/line after its last chunk. */
  start: number;
  next: number;
  line: number;
  sequential: boolean;
  chunks: ContactRows[];
  contacts: number;
  rows: number;
  duplicates: number;
  suppressed: number;
  /** [absolute line, reason, raw] */
  errors: [number, string, string][];
}

const stashes = new Map<string, Stash>();

/**
 * Per-import state of the writer thread, for at most KEPT_IMPORTS imports: one that stopped for good (its job
 * dead-lettered) never comes back to free its stash or close its runs, so the oldest is dropped (and closed).
 */
function keep<T>(map: Map<string, T>, key: string, value: T, close?: (old: T) => void): void {
  map.delete(key);
  map.set(key, value);
  for (const [k, old] of map) {
    if (map.size <= KEPT_IMPORTS) break;
    close?.(old);
    map.delete(k);
  }
}

const KEPT_IMPORTS = 4;
const importKey = (t: ImportTask) => `${t.companyId}\0${t.importId}`;
const emptyStash = (run: string, at: number, line: number, sequential: boolean): Stash =>
  ({ run, start: at, next: at, line, sequential, chunks: [], contacts: 0, rows: 0, duplicates: 0, suppressed: 0, errors: [] });

function mustGetImport(s: Store, t: ImportTask): ImportRecord {
  const rec = getImport(s, t.companyId, t.importId);
  if (!rec) throw new Error(`import ${t.importId} not found`);
  return rec;
}

/**
 * Phase one, in a pool worker (`commitChunk`): takes one parsed chunk in file order. Chunks gather in memory
 * until `runRows` contacts (or the file's last chunk); then they are merged into one sorted run on disk and the
 * import's counters, rejected rows and checkpoint (byte, line, runs written) are committed in one transaction.
 * A crash loses only the gathered chunks: the resume reads them again from the checkpoint. Safe to run twice: a
 * chunk before the expected byte is ignored; one that does not start there is refused.
 * @throws Error when the import is gone or the chunk does not follow.
 */
export function commitChunkSync(s: Store, task: CommitTask, isSuppressed: SuppressionCheck): CommitAnswer {
  const t0 = performance.now();
  const key = importKey(task);
  let st = stashes.get(key);
  if (st?.run !== task.run) {
    const { offset, line, sequential } = mustGetImport(s, task).checkpoint;
    keep(stashes, key, (st = emptyStash(task.run, offset, line, sequential)));
  }
  const r = task.result;
  if (r.start < st.next) return { record: mustGetImport(s, task), next: st.next, holdMs: 0 };
  if (r.start !== st.next) throw new Error(`import ${task.importId}: chunk at byte ${r.start} does not follow the checkpoint at ${st.next}`);
  st.chunks.push(r.contacts);
  st.contacts += r.contacts.keyEnds.length;
  for (const [line, reason, raw] of r.errors) st.errors.push([st.line + line + 1, reason, raw]);
  for (const phone of r.contacts.repeats) isSuppressed?.(phone) ? st.suppressed++ : st.duplicates++;
  st.rows += r.rows;
  st.line += r.lines;
  st.next = r.end;
  st.sequential = task.sequential;
  if (st.contacts < task.runRows && !task.final) return { record: mustGetImport(s, task), next: st.next, holdMs: 0 };
  const record = writeStashSync(s, task, st, isSuppressed);
  stashes.set(key, emptyStash(task.run, st.next, st.line, st.sequential));
  return { record, next: st.next, holdMs: performance.now() - t0, wroteRun: true };
}

/** Writes the stash as the import's next run, then commits what it counted with the checkpoint after it. */
function writeStashSync(s: Store, task: CommitTask, st: Stash, isSuppressed: SuppressionCheck): ImportRecord {
  const before = mustGetImport(s, task);
  const n = before.checkpoint.runs ?? 0;
  const prefixLength = contactKeyPrefix(before.companyId, before.listId).length;
  for (const phone of writeRun(runsDir(task.dataDir, task.importId), n, st.chunks, prefixLength)) isSuppressed?.(phone) ? st.suppressed++ : st.duplicates++;
  let record!: ImportRecord;
  s.env.transactionSync(() => {
    const rec = mustGetImport(s, task);
    if (rec.checkpoint.offset !== st.start || (rec.checkpoint.runs ?? 0) !== n) throw new Error(`import ${task.importId}: its checkpoint moved (${rec.checkpoint.offset}) while this run read from ${st.start}`);
    const errors = s.db("importErrors");
    for (const [line, reason, raw] of st.errors) errors.putSync([rec.companyId, rec.id, line], [reason, raw]);
    record = {
      ...rec,
      rows: rec.rows + st.rows,
      duplicates: rec.duplicates + st.duplicates,
      suppressed: rec.suppressed + st.suppressed,
      invalid: rec.invalid + st.errors.length,
      bytesDone: st.next,
      checkpoint: { offset: st.next, line: st.line, sequential: st.sequential, runs: n + 1 },
    };
    putImportSync(s, record);
  });
  return record;
}

/** Phase two's merge of the import's runs, kept by the writer thread between batches. */
interface Merging {
  run: string;
  readers: RunReader[];
  merge: Merge;
  /** Positions (per run) as last committed. */
  at: number[];
}

const merges = new Map<string, Merging>();

function closeMerging(key: string): void {
  for (const r of merges.get(key)?.readers ?? []) r.close();
  merges.delete(key);
}

/**
 * Phase two, in a pool worker (`mergeBatch`): writes the next `maxRows` contacts of the merged runs — in key
 * order, so each B-tree page is touched about once — in ONE transaction with the counters, the list's count and
 * the position reached in every run. The first row of a phone wins (runs are in file order; NO_OVERWRITE finds
 * phones already on the list); suppressed phones are skipped. Safe to run twice: it reads on from the committed
 * positions.
 */
export function mergeBatchSync(s: Store, task: MergeTask, isSuppressed: SuppressionCheck): MergeAnswer {
  const t0 = performance.now();
  const key = importKey(task);
  let answer!: { record: ImportRecord; done: boolean };
  try {
    s.env.transactionSync(() => {
      const rec = mustGetImport(s, task);
      const runs = rec.checkpoint.runs ?? 0;
      const at = rec.checkpoint.merged ?? new Array<number>(runs).fill(0);
      let m = merges.get(key);
      if (m?.run !== task.run || m.at.some((p, i) => p !== at[i])) {
        closeMerging(key);
        const dir = runsDir(task.dataDir, task.importId);
        const readers = at.map((p, i) => new RunReader(i, runPath(dir, i), p));
        keep(merges, key, (m = { run: task.run, readers, merge: new Merge(readers), at }), (old) => old.readers.forEach((r) => r.close()));
      }
      const prefix = contactKeyPrefix(rec.companyId, rec.listId);
      const keyBuf = new Uint8Array(prefix.length + 256);
      keyBuf.set(prefix);
      // The key of each phone length, as a view of keyBuf made once (views made per row, the key's and the
      // value's, were ~9% of this loop's profile).
      const keyViews: Uint8Array[] = [];
      // The keys' bytes go through the ordinary handle (ordered-binary writes a Uint8Array key as it is), and
      // NO_OVERWRITE is the duplicate check. A second handle opened with `keyEncoding: "binary"` missed existing
      // keys in its own lookups (~6 phones of 400,000 stored twice, test/services/import-duplicates.test.ts):
      // lmdb-js gives default-key handles its own key comparison (`compareFast`), binary-key ones not.
      const contacts = s.db("contacts");
      let imported = 0;
      let duplicates = 0;
      let suppressed = 0;
      // Keys come in order: while they land past the database's last key (a new list of the newest company — in
      // a single-company install, every new list), MDB_APPEND skips the B-tree search, which with contact keys'
      // long shared prefix was most of a put (sorted puts: 4.0 µs a row, appends 1.1–2.0). An append refused
      // (a key not past the last) is retried as an ordinary put; equal keys are duplicates either way.
      let append = true;
      for (let c = m.merge.top, n = 0; c && n < task.maxRows; m.merge.advance(), c = m.merge.top, n++) {
        if (isSuppressed?.(phoneOf(c))) {
          suppressed++;
          continue;
        }
        const { kbuf, phone, phoneLen } = c;
        for (let i = 0; i < phoneLen; i++) keyBuf[prefix.length + i] = kbuf[phone + i]!;
        const k = (keyViews[phoneLen] ??= keyBuf.subarray(0, prefix.length + phoneLen));
        const v = c.vbuf.subarray(c.value, c.value + c.valueLen);
        if (append && (contacts.putSync(k, v, APPEND) as unknown as boolean)) imported++;
        else if (contacts.putSync(k, v, NO_OVERWRITE) as unknown as boolean) {
          imported++;
          append = false; // the key was not past the database's last one: this list is not at its end
        } else duplicates++;
      }
      const list = getListRecord(s, rec.companyId, rec.listId);
      if (list && imported > 0) putListSync(s, rec.companyId, { ...list, contacts: list.contacts + imported });
      const merged = m.readers.map((r) => r.offset);
      const record: ImportRecord = {
        ...rec,
        imported: rec.imported + imported,
        duplicates: rec.duplicates + duplicates,
        suppressed: rec.suppressed + suppressed,
        checkpoint: { ...rec.checkpoint, merged },
      };
      putImportSync(s, record);
      answer = { record, done: m.merge.top === undefined };
    });
  } catch (e) {
    closeMerging(key); // positions in memory may be ahead of the (aborted) commit: reopen from the record
    throw e;
  }
  const m = merges.get(key)!;
  m.at = answer.record.checkpoint.merged!;
  if (answer.done) closeMerging(key);
  return { ...answer, holdMs: performance.now() - t0 };
}

const NO_OVERWRITE = { noOverwrite: true } as never;
const APPEND = { append: true } as never;

/** Suppression lists up to this size are read into memory once per import run; bigger ones are checked per row. */
const SUPPRESSION_SET_MAX = 500_000;

/** Membership test for the company's suppression list; undefined when the list is empty (nothing to check). */
export type SuppressionCheck = ((phone: string) => boolean) | undefined;

/** The company's SuppressionCheck: an in-memory set when small, else an LMDB read per row. */
export function suppressionCheck(s: Store, companyId: string): SuppressionCheck {
  const db = s.db("suppressions");
  const phones = new Set<string>();
  for (const key of db.getKeys({ start: [companyId], end: [companyId, "\uffff"], limit: SUPPRESSION_SET_MAX + 1 })) phones.add((key as string[])[1]!);
  if (phones.size === 0) return undefined;
  if (phones.size <= SUPPRESSION_SET_MAX) return (phone) => phones.has(phone);
  return (phone) => db.doesExist([companyId, phone]);
}
