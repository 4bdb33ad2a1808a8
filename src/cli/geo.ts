import type { Config } from "../config.ts";
import { buildGeoTable } from "../services/geo-table.ts";
import { openStorage } from "../storage/db.ts";

/**
 * Builds the geo-prefix table when it is missing or from another data version (a first start of the binary,
 * which has no install.sh step); a no-op in milliseconds otherwise. About 5 s when it builds.
 */
export async function ensureGeoTable(config: Config): Promise<void> {
  const storage = openStorage(config.dataDir);
  try {
    const r = buildGeoTable(storage);
    if (!r.skipped) console.log(`geo-prefix table built: ${r.nodes} prefixes (${r.version})`);
  } finally {
    await storage.close();
  }
}

/** `pombo geo rebuild`: reloads the geo-prefix table from the libphonenumber data (installed, or embedded in the binary; safe while running). */
export async function runGeoCommand(config: Config, argv: string[]): Promise<void> {
  if (argv[0] !== "rebuild") throw new Error("usage: pombo geo rebuild");
  const storage = openStorage(config.dataDir);
  try {
    const r = buildGeoTable(storage, { force: true });
    console.log(`geo-prefix table rebuilt: ${r.nodes} prefixes (${r.version})`);
  } finally {
    await storage.close();
  }
}
