import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { openStorage } from "../storage/db.ts";
import { parseArgs, requireFlag } from "./args.ts";

/**
 * `pombo backup --to DIR`: a hot, consistent copy of the LMDB environment (LMDB's own copy, which reads one
 * snapshot while the server keeps writing), compacted, and of the journal of accepted jobs. Restore = stop
 * Pombo, point DATA_DIR at DIR. The journal's files are copied first, then the environment: a job accepted
 * before the backup began is then in one copy or the other (or both, and the main copy's inbox mark says it
 * was moved), never in neither; a file deleted meanwhile held only jobs the environment's copy has. A record
 * the server was writing as its file was copied is cut off when the copy is opened.
 */
export async function runBackupCommand(config: Config, argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv);
  const to = requireFlag(flags, "to");
  const target = join(to, "db");
  mkdirSync(target, { recursive: true });
  copyJournal(config.dataDir, to);
  const storage = openStorage(config.dataDir);
  try {
    // LMDB copies into a directory (it writes data.mdb there), like the environment it copies.
    await storage.env.backup(target, true);
    console.log(`backup written to ${target}; restore with DATA_DIR=${to}`);
    // Provider credentials are sealed with a key kept out of the LMDB files on purpose: a restore needs it too.
    if (!process.env.POMBO_SECRET_KEY?.trim() && existsSync(join(config.dataDir, "secret.key"))) {
      console.log(`the credentials key is not in the backup: keep ${join(config.dataDir, "secret.key")} safe separately and put it in ${to} (mode 0600) to restore`);
    }
  } finally {
    await storage.close();
  }
}

/**
 * Copies the journal's segment files (and an old inbox environment not migrated yet) as they are now, while the
 * server may be appending to them and releasing them.
 */
export function copyJournal(dataDir: string, to: string): void {
  const from = join(dataDir, "journal");
  mkdirSync(join(to, "journal"), { recursive: true });
  for (const name of existsSync(from) ? readdirSync(from).filter((f) => f.endsWith(".log")) : []) {
    try {
      copyFileSync(join(from, name), join(to, "journal", name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // released (moved) meanwhile
    }
  }
  const legacy = join(dataDir, "inbox");
  if (existsSync(join(legacy, "data.mdb"))) cpSync(legacy, join(to, "inbox"), { recursive: true });
}
