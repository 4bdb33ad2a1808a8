import type { Storage } from "../storage/db.ts";
import { putImportSync, type ImportRecord } from "../storage/imports.ts";
import { getListRecord, putListSync } from "../storage/lists.ts";
import type { ChunkResult } from "../workers/import-chunk.ts";

/**
 * Commits one chunk of rows in ONE transaction with the import's counters and checkpoint, so a crash leaves
 * either all of the batch or none of it and a resume starts exactly after the last committed batch.
 * The first occurrence of a phone on a list wins; later ones count as duplicates; suppressed phones are skipped.
 * Resolves, once committed, to the updated record (the argument is not changed). The transaction is lmdb's
 * asynchronous one: the callback runs on this thread, the commit and its sync happen off it.
 */
export async function commitChunk(s: Storage, rec: ImportRecord, r: ChunkResult, isSuppressed: (phone: string) => boolean, sequential: boolean): Promise<ImportRecord> {
  const { companyId: c, listId: l, id } = rec;
  const contacts = s.db("contacts");
  const errors = s.db("importErrors");
  let next = rec;
  await s.env.transaction(() => {
    let imported = 0;
    let duplicates = 0;
    let suppressed = 0;
    const values = Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength);
    // Inserting in key order keeps B-tree writes local (about 2x faster); the sort is stable, so the first
    // occurrence of a phone in the file is still the one that wins.
    const order = sortedOrder(r.phones);
    for (const i of order) {
      const phone = r.phones[i]!;
      if (isSuppressed(phone)) suppressed++;
      else if (contacts.putSync([c, l, phone], values.subarray(r.offsets[i]!, r.offsets[i + 1]!), { noOverwrite: true } as never)) imported++;
      else duplicates++;
    }
    for (const [line, reason, raw] of r.errors) errors.putSync([c, id, rec.checkpoint.line + line + 1], [reason, raw]);
    const list = getListRecord(s, c, l);
    if (list) putListSync(s, c, { ...list, contacts: list.contacts + imported });
    next = {
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
  });
  return next;
}

/** Indexes of `phones` in phone order, equal phones in their original order. */
function sortedOrder(phones: string[]): number[] {
  const order = Array.from(phones.keys());
  return order.sort((a, b) => (phones[a]! < phones[b]! ? -1 : phones[a]! > phones[b]! ? 1 : a - b));
}
