import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { openStorage } from "../storage/db.ts";
import { parseArgs, requireFlag } from "./args.ts";

/**
 * `pombo backup --to DIR`: a hot, consistent copy of the LMDB environment (LMDB's own copy, which reads
 * one snapshot while the server keeps writing), compacted. Restore = stop Pombo, point DATA_DIR at DIR.
 */
export async function runBackupCommand(config: Config, argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv);
  const to = requireFlag(flags, "to");
  const target = join(to, "db");
  mkdirSync(target, { recursive: true });
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
