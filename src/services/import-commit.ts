import type { Storage } from "../storage/db.ts";
import { putImportSync, type ImportRecord } from "../storage/imports.ts";
import { rawContactsDb } from "../storage/contacts.ts";
import { getListRecord, putListSync } from "../storage/lists.ts";
import type { ChunkResult } from "../workers/import-chunk.ts";

/**
 * Commits an import's chunks strictly in file order, each in ONE transaction with the import's counters and
 * checkpoint, so a crash leaves either all of a batch or none of it and a resume starts exactly after the last
 * committed batch. `commit` may be called again before the previous commit resolves: lmdb runs the queued
 * callbacks in call order on this thread, each reading the record the previous one produced, so the writer
 * fills the next batch while the last one is written out. After a failed batch, later ones write nothing.
 */
export class ChunkCommitter {
  private failure: unknown;
  /** How long the last batch's transaction callback ran (ms, on this thread): the import's cost to the event loop. */
  lastApplyMs = 0;

  /** `latest` starts as the committed record and follows the queued batches, callback by callback. */
  constructor(
    private readonly s: Storage,
    public latest: ImportRecord,
    private readonly isSuppressed: (phone: string) => boolean,
  ) {}

  /** Queues one chunk; resolves, once committed, to the record after it. */
  async commit(r: ChunkResult, sequential: boolean): Promise<ImportRecord> {
    let next: ImportRecord | undefined;
    await this.s.env.transaction(() => {
      if (this.failure !== undefined) return;
      try {
        const t0 = performance.now();
        next = this.latest = applyChunk(this.s, this.latest, r, this.isSuppressed, sequential);
        this.lastApplyMs = performance.now() - t0;
      } catch (e) {
        this.failure = e;
        throw e;
      }
    });
    if (next === undefined) throw this.failure;
    return next;
  }
}

/**
 * Writes one chunk inside the caller's transaction: the first occurrence of a phone on a list wins, later ones
 * count as duplicates, suppressed phones are skipped. Returns the updated record (the argument is not changed).
 */
function applyChunk(s: Storage, rec: ImportRecord, r: ChunkResult, isSuppressed: (phone: string) => boolean, sequential: boolean): ImportRecord {
  const { companyId: c, listId: l, id } = rec;
  const contacts = rawContactsDb(s);
  // The duplicate check goes through the ordinary handle: inside the writer's transaction the raw binary-key
  // handle missed keys written by the previous batch (measured: 11–13 phones of 1M stored twice through the
  // server), so NO_OVERWRITE alone is not trusted.
  const existing = s.db("contacts");
  const { phones, keys, keyEnds, values, valueEnds, repeats } = r.contacts;
  let imported = 0;
  let duplicates = 0;
  let suppressed = 0;
  // Workers send keys in key order (B-tree writes stay local) and each phone once per chunk, its first row.
  let k = 0;
  let v = 0;
  for (let i = 0; i < phones.length; i++) {
    const key = keys.subarray(k, (k = keyEnds[i]!));
    const value = values.subarray(v, (v = valueEnds[i]!));
    if (isSuppressed(phones[i]!)) suppressed++;
    else if (!existing.doesExist([c, l, phones[i]!]) && (contacts.putSync(key, value, NO_OVERWRITE) as unknown as boolean)) imported++;
    else duplicates++;
  }
  for (const phone of repeats) isSuppressed(phone) ? suppressed++ : duplicates++;
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
