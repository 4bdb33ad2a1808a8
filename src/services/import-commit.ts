import type { Storage } from "../storage/db.ts";
import { putImportSync, type ImportRecord } from "../storage/imports.ts";
import { rawContactsDb } from "../storage/contacts.ts";
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
  const contacts = rawContactsDb(s);
  const errors = s.db("importErrors");
  let next = rec;
  await s.env.transaction(() => {
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
      else if (contacts.putSync(key, value, NO_OVERWRITE) as unknown as boolean) imported++;
      else duplicates++;
    }
    for (const phone of repeats) isSuppressed(phone) ? suppressed++ : duplicates++;
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

const NO_OVERWRITE = { noOverwrite: true } as never;
