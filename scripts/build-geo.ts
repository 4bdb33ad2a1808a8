/**
 * Builds the geo-prefix table into DATA_DIR's LMDB (called by ./install.sh; `--force` rebuilds).
 * Usage: DATA_DIR=./data bun scripts/build-geo.ts [--force]
 */
import { loadConfig } from "../src/config.ts";
import { buildGeoTable } from "../src/services/geo-table.ts";
import { openStorage } from "../src/storage/db.ts";

const config = loadConfig();
const storage = openStorage(config.dataDir);
const started = performance.now();
const r = buildGeoTable(storage, { force: process.argv.includes("--force") });
await storage.close();
const ms = Math.round(performance.now() - started);
console.log(r.skipped ? `geo-prefix table up to date (${r.version}), ${ms} ms` : `geo-prefix table built: ${r.nodes} prefixes (${r.version}) in ${ms} ms`);
