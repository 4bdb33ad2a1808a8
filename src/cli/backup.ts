import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { openStorage } from "../storage/db.ts";
import { parseArgs, requireFlag } from "./args.ts";

/**
 * `pombo backup --to DIR`: a hot, consistent copy of both LMDB environments (LMDB's own copy, which reads
 * one snapshot while the server keeps writing), compacted. Restore = stop Pombo, point DATA_DIR at DIR.
 * The main environment is copied first, then the inbox: an accepted job is then in one copy or the other (or
 * both, and the main copy's inbox mark says it was moved), never in neither.
 */
export async function runBackupCommand(config: Config, argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv);
  const to = requireFlag(flags, "to");
  const target = join(to, "db");
  const inboxTarget = join(to, "inbox");
  mkdirSync(target, { recursive: true });
  mkdirSync(inboxTarget, { recursive: true });
  const storage = openStorage(config.dataDir);
  try {
    // LMDB copies into a directory (it writes data.mdb there), like the environment it copies.
    await storage.env.backup(target, true);
    await storage.inbox.backup(inboxTarget, true);
    console.log(`backup written to ${target}; restore with DATA_DIR=${to}`);
    // Provider credentials are sealed with a key kept out of the LMDB files on purpose: a restore needs it too.
    if (!process.env.POMBO_SECRET_KEY?.trim() && existsSync(join(config.dataDir, "secret.key"))) {
      console.log(`the credentials key is not in the backup: keep ${join(config.dataDir, "secret.key")} safe separately and put it in ${to} (mode 0600) to restore`);
    }
  } finally {
    await storage.close();
  }
}
