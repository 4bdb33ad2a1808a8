import { mkdirSync } from "node:fs";
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
  } finally {
    await storage.close();
  }
}
