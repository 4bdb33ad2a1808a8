import { statSync } from "node:fs";
import { resolve } from "node:path";
import { systemClock } from "../clock.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../log.ts";
import { buildGeoTable } from "../services/geo-table.ts";
import { runImport } from "../services/import-run.ts";
import { stopImportCommits } from "../services/import-commit.ts";
import { createImport, importView } from "../services/imports.ts";
import { openStorage, type Storage } from "../storage/db.ts";
import { getGeoVersion } from "../storage/geo.ts";
import type { ImportRecord } from "../storage/imports.ts";
import { findListCompany } from "../storage/lists.ts";
import { createPool } from "../workers/pool.ts";
import { parseArgs } from "./args.ts";

const USAGE = "usage: pombo import FILE --list ID [--phone-column NAME] [--country US] | pombo import --resume IMPORT_ID";

/**
 * `pombo import FILE --list ID`: imports a local file in this process (the file is read in place), with a
 * progress bar on a terminal and one `progress …` line per batch otherwise. `--resume ID` continues an
 * import that was interrupted (e.g. killed); re-running it on a finished import does nothing.
 * @throws Error on bad arguments or an unknown list/import.
 */
export async function runImportCommand(config: Config, argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(argv);
  const storage = openStorage(config.dataDir);
  const pool = createPool(config);
  try {
    if (!getGeoVersion(storage)) buildGeoTable(storage);
    const deps = { config, storage, pool, clock: systemClock, log: createLogger(config.logLevel) };
    const { companyId, importId } = typeof flags.resume === "string" ? findImport(storage, flags.resume) : startImport(deps, flags, positional[0]);
    console.log(`import ${importId}`);
    const progress = progressPrinter();
    const rec = await runImport(deps as never, companyId, importId, progress);
    if (!rec) throw new Error(`import ${importId} not found`);
    progress(rec, true);
    console.log(JSON.stringify(importView(rec)));
    if (rec.status === "failed") process.exitCode = 1;
  } finally {
    await stopImportCommits(pool); // a failed run may leave its last batch committing
    await pool.destroy();
    await storage.close();
  }
}

function startImport(deps: Pick<Parameters<typeof createImport>[0], "storage" | "clock">, flags: Record<string, string | true>, file?: string) {
  const listId = flags.list;
  if (!file || typeof listId !== "string") throw new Error(USAGE);
  const companyId = typeof flags.company === "string" ? flags.company : findListCompany(deps.storage, listId);
  if (!companyId) throw new Error(`list ${listId} not found`);
  const path = resolve(file);
  const opts = { phoneColumn: str(flags["phone-column"]), defaultCountry: str(flags.country) };
  const rec = createImport(deps as never, companyId, listId, { path, bytes: statSync(path).size, ownsFile: false }, opts, false);
  return { companyId, importId: rec.id };
}

const str = (v: string | true | undefined) => (typeof v === "string" ? v : undefined);

function findImport(s: Storage, importId: string): { companyId: string; importId: string } {
  for (const key of s.db("imports").getKeys()) if ((key as string[])[1] === importId) return { companyId: (key as string[])[0]!, importId };
  throw new Error(`import ${importId} not found`);
}

/** A progress bar on a terminal (stderr), else one parsable line per committed batch (stdout). */
function progressPrinter(): (rec: ImportRecord, final?: boolean) => void {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  return (rec, final = false) => {
    // Two phases: reading the file (bytes), then storing its contacts (rows counted by outcome of rows read).
    const counted = rec.imported + rec.duplicates + rec.invalid + rec.suppressed;
    const storing = rec.status === "running" && rec.bytesTotal > 0 && rec.bytesDone >= rec.bytesTotal && counted < rec.rows;
    const phase = storing ? "storing" : "reading";
    if (!tty) return void console.log(`progress rows=${rec.rows} imported=${rec.imported} bytesDone=${rec.bytesDone} bytesTotal=${rec.bytesTotal} phase=${phase}`);
    const share = storing ? counted / rec.rows : rec.bytesTotal ? rec.bytesDone / rec.bytesTotal : 0;
    const width = 30;
    const filled = Math.round(share * width);
    const rate = rec.rows / Math.max(0.001, (performance.now() - started) / 1000);
    const bar = `${phase} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(share * 100).toFixed(1).padStart(5)}%  ${rec.rows.toLocaleString("en")} rows  ${Math.round(rate).toLocaleString("en")} rows/s`;
    process.stderr.write(`\r${bar}${final ? "\n" : ""}`);
  };
}

if (import.meta.main) {
  const { loadConfig } = await import("../config.ts");
  runImportCommand(loadConfig(), process.argv.slice(2)).catch((e) => {
    console.error(`pombo import: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
