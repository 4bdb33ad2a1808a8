import type { Config } from "../config.ts";
import { buildGeoTable } from "../services/geo-table.ts";
import { openStorage } from "../storage/db.ts";

/** `pombo geo rebuild`: reloads the geo-prefix table from the installed libphonenumber data (safe while running). */
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
