import type { Store } from "../storage/db.ts";
import { getImport, putImportSync, type ImportRecord } from "../storage/imports.ts";
import { contactKeyPrefix, phoneOfKey } from "../storage/contacts.ts";
import { getListRecord, putListSync } from "../storage/lists.ts";
import type { ChunkResult } from "../workers/import-chunk.ts";

/** What the pool's `commitChunk` task needs: the import by id, and the chunk to write after its checkpoint. */
export interface CommitTask {
  dataDir: string;
  /** Names one run of the import: a worker reads the suppression list once per run. */
  run: string;
  companyId: string;
  importId: string;
  result: ChunkResult;
  sequential: boolean;
}

/** The import record after the batch, and how long the batch held the single writer, commit included (ms). */
export interface CommitAnswer {
  record: ImportRecord;
  holdMs: number;
}

type Pool = { run(task: unknown, options: { name: string }): Promise<unknown> };

/**
 * Commits an import's chunks strictly in file order, each in ONE transaction with the import's counters and
 * checkpoint, so a crash leaves either all of a batch or none of it and a resume starts exactly after the last
 * committed batch. The transaction runs on the pool's writer thread (`commitChunk`), not on this thread: a
 * 10,000-row batch holds its writer for ~100 ms, which on the event loop was time every webhook and API request
 * waited.
 * `commit` may be called again before the previous commit resolves: it runs once that one has committed. After a
 * failed batch, later ones write nothing.
 */
export class ChunkCommitter {
  private last: Promise<unknown> = Promise.resolve();
  /** How long the last batch held the single writer (ms, in its worker, commit included). */
  lastHoldMs = 0;

  constructor(
    private readonly pool: Pool,
    private readonly base: Omit<CommitTask, "result" | "sequential">,
  ) {}

  /** Queues one chunk; resolves, once committed, to the record after it. @throws Error once the pool is closing. */
  commit(result: ChunkResult, sequential: boolean): Promise<ImportRecord> {
    const commits = commitsOf(this.pool);
    const done = this.last.then(() => {
      if (commits.closing) throw new Error("import paused: the worker pool is closing (the import resumes after the restart)");
      return this.pool.run({ ...this.base, result, sequential } satisfies CommitTask, { name: "commitChunk" }) as Promise<CommitAnswer>;
    });
    this.last = done;
    commits.running.add(done);
    const forget = () => void commits.running.delete(done);
    done.then(forget, forget);
    return done.then((answer) => {
      this.lastHoldMs = answer.holdMs;
      return answer.record;
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

/**
 * Writes one chunk of an import in one transaction of `s` (the `commitChunk` task, in a pool worker). Safe to run
 * twice: a chunk that starts before the committed checkpoint was written already and is left alone; one that
 * does not start at it is refused.
 * @throws Error when the import is gone or the chunk does not follow its checkpoint.
 */
export function commitChunkSync(s: Store, task: CommitTask, isSuppressed: SuppressionCheck): CommitAnswer {
  let record: ImportRecord | undefined;
  const t0 = performance.now();
  s.env.transactionSync(() => {
    const rec = getImport(s, task.companyId, task.importId);
    if (!rec) throw new Error(`import ${task.importId} not found`);
    const at = rec.checkpoint.offset;
    if (at > task.result.start) {
      record = rec;
      return;
    }
    if (at !== task.result.start) throw new Error(`import ${task.importId}: chunk at byte ${task.result.start} does not follow the checkpoint at ${at}`);
    record = applyChunk(s, rec, task.result, isSuppressed, task.sequential);
  });
  // The commit (and its sync to disk) included: the writer is held, and every other commit waits, that long.
  return { record: record!, holdMs: performance.now() - t0 };
}

/**
 * Writes one chunk inside the caller's transaction: the first occurrence of a phone on a list wins, later ones
 * count as duplicates, suppressed phones are skipped. Returns the updated record (the argument is not changed).
 */
function applyChunk(s: Store, rec: ImportRecord, r: ChunkResult, isSuppressed: SuppressionCheck, sequential: boolean): ImportRecord {
  const { companyId: c, listId: l, id } = rec;
  // The workers' key bytes go through the ordinary handle (ordered-binary writes a Uint8Array key as it is), and
  // NO_OVERWRITE is the duplicate check. A second handle opened with `keyEncoding: "binary"` missed existing
  // keys in its own lookups — its NO_OVERWRITE puts and its doesExist alike, byte-identical keys, ~6 phones of
  // 400,000 stored twice (test/services/import-duplicates.test.ts) — while this handle found them: lmdb-js gives
  // default-key handles its own key comparison (`compareFast`), binary-key ones not. One handle, one comparison.
  const contacts = s.db("contacts");
  const { keys, keyEnds, values, valueEnds, repeats } = r.contacts;
  const prefixLength = isSuppressed ? contactKeyPrefix(c, l).length : 0;
  let imported = 0;
  let duplicates = 0;
  let suppressed = 0;
  // Workers send keys in key order (B-tree writes stay local) and each phone once per chunk, its first row.
  let k = 0;
  let v = 0;
  for (let i = 0; i < keyEnds.length; i++) {
    const key = keys.subarray(k, (k = keyEnds[i]!));
    const value = values.subarray(v, (v = valueEnds[i]!));
    if (isSuppressed?.(phoneOfKey(key, prefixLength))) suppressed++;
    else if (contacts.putSync(key, value, NO_OVERWRITE) as unknown as boolean) imported++;
    else duplicates++;
  }
  for (const phone of repeats) isSuppressed?.(phone) ? suppressed++ : duplicates++;
  const errors = s.db("importErrors");
  for (const [line, reason, raw] of r.errors) errors.putSync([c, id, rec.checkpoint.line + line + 1], [reason, raw]);
  const list = getListRecord(s, c, l);
  if (list) putListSync(s, c, { ...list, contacts: list.contacts + imported });
  const next: ImportRecord = {
    ...rec,
    rows: rec.rows + r.rows,
    imported: rec.imported + imported,
    duplicates: rec.duplicates + duplicates,
    suppressed: rec.suppressed + suppressed,
    invalid: rec.invalid + r.errors.length,
    bytesDone: r.end,
    checkpoint: { offset: r.end, line: rec.checkpoint.line + r.lines, sequential },
  };
  putImportSync(s, next);
  return next;
}

const NO_OVERWRITE = { noOverwrite: true } as never;

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
