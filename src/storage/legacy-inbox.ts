import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { open } from "lmdb";
import type { Logger } from "../log.ts";
import type { Journal } from "./journal.ts";

/**
 * Earlier versions kept accepted jobs in a small LMDB environment, `dataDir/inbox` (key: number → one entry or an
 * array of entries). Its records not in the journal yet are appended with their own numbers and flushed, then the
 * environment is removed. Interrupted, it runs again and skips what it copied before (numbers only increase).
 */
export function migrateLegacyInbox(dataDir: string, journal: Journal, log?: Logger): number {
  const path = join(dataDir, "inbox");
  if (!existsSync(join(path, "data.mdb"))) return 0;
  const env = open<unknown, number>({ path, readOnly: true });
  let copied = 0;
  try {
    for (const { key, value } of env.getRange({ start: journal.last() + 1 })) {
      const entries = Array.isArray((value as unknown[])[0]) ? (value as unknown[]) : [value];
      journal.append(key, entries, entries.length);
      copied++;
    }
    journal.flushSync();
  } finally {
    void env.close();
  }
  rmSync(path, { recursive: true, force: true });
  if (copied) log?.info("queue: accepted jobs moved from the old inbox environment into the journal", { records: copied });
  return copied;
}
