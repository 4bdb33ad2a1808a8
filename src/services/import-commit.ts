import type { Storage } from "../storage/db.ts";
import { putImportSync, type ImportRecord } from "../storage/imports.ts";
import { getListRecord, putListSync } from "../storage/lists.ts";
import type { ChunkResult } from "../workers/import-chunk.ts";

/**
 * Commits one chunk of rows in ONE transaction with the import's counters and checkpoint, so a crash leaves
 * either all of the batch or none of it and a resume starts exactly after the last committed batch.
 * The first occurrence of a phone on a list wins; later ones count as duplicates; suppressed phones are skipped.
 * Returns the updated record (the argument is not changed).
 */
export function commitChunkSync(s: Storage, rec: ImportRecord, r: ChunkResult, isSuppressed: (phone: string) => boolean, sequential: boolean): ImportRecord {
  const { companyId: c, listId: l, id } = rec;
  const contacts = s.db("contacts");
  const index = s.db("contactLists");
  const errors = s.db("importErrors");
  let next = rec;
  s.env.transactionSync(() => {
    let imported = 0;
    let duplicates = 0;
    let suppressed = 0;
    const values = Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength);
    for (let i = 0; i < r.phones.length; i++) {
      const phone = r.phones[i]!;
      if (isSuppressed(phone)) {
        suppressed++;
        continue;
      }
      const key = [c, l, phone];
      if (contacts.doesExist(key)) {
        duplicates++;
        continue;
      }
      contacts.putSync(key, values.subarray(r.offsets[i]!, r.offsets[i + 1]!));
      index.putSync([c, phone, l], null);
      imported++;
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
