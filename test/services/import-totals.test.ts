/**
 * `importTotals` (what /metrics reports as pombo_import_rows_total and pombo_imports_running) follows real imports
 * through the real worker pool and LMDB: equal to the import's own counters after every committed batch, summed over
 * imports, running only while an import runs, and rebuilt from existing imports by the schema migration.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { runImport } from "../../src/services/import-run.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { openStorage } from "../../src/storage/db.ts";
import { getImport, IMPORT_OUTCOMES, putImportSync, readImportTotals, type ImportRecord } from "../../src/storage/imports.ts";
import { META } from "../../src/storage/keys.ts";
import { migrate } from "../../src/storage/migrate.ts";
import { putSuppressionSync } from "../../src/storage/suppressions.ts";
import { importSuite } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const { files, fresh } = importSuite("pombo-import-totals-");

const counters = (r: Pick<ImportRecord, "imported" | "duplicates" | "invalid" | "suppressed">) => ({ imported: r.imported, duplicates: r.duplicates, invalid: r.invalid, suppressed: r.suppressed });

test("equal the import's counters after every committed batch, with the import counted running until it ends", async () => {
  const e = fresh();
  const path = join(files, "a.csv");
  const want = await generateCsv(path, { rows: 40_000 }, true);
  e.storage.env.transactionSync(() => want.phones!.slice(0, 10).forEach((p) => putSuppressionSync(e.storage, "co1", p, { reason: "stop_word", at: 1 })));
  const list = createList(e.deps, "co1", "l");
  const rec = createImport(e.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
  // The writer may have committed the next batch by the time progress is reported: compare with the stored record.
  const seen: Array<{ totals: ReturnType<typeof readImportTotals>; stored: ImportRecord }> = [];
  const progress = () => seen.push({ totals: readImportTotals(e.storage), stored: getImport(e.storage, "co1", rec.id)! });
  const done = (await runImport(e.deps, "co1", rec.id, progress))!;
  expect(done.status).toBe("done");
  expect(seen.length).toBeGreaterThan(2); // several batches of 10,000 rows
  for (const { totals, stored } of seen.slice(0, -1)) expect(totals).toEqual({ ...counters(stored), running: 1 });
  expect(readImportTotals(e.storage)).toEqual({ ...counters(done), running: 0 });
  expect(done.suppressed).toBeGreaterThan(0);
  expect(done.invalid).toBe(want.invalid);

  const second = await e.importFile(path); // a second list: same rows, summed
  const sum = { imported: 0, duplicates: 0, invalid: 0, suppressed: 0, running: 0 };
  for (const o of IMPORT_OUTCOMES) sum[o] = done[o] + second[o];
  expect(readImportTotals(e.storage)).toEqual(sum);
});

test("an import that fails on resume stops counting as running and keeps the rows it had committed", async () => {
  const e = fresh();
  const list = createList(e.deps, "co1", "l");
  const path = join(files, "gone.csv");
  const rec = createImport(e.deps, "co1", list.id, { path, bytes: 1_000, ownsFile: true }, {}, false);
  // As a crash mid-import leaves it: running, with committed batches; then the upload is lost (restored backup).
  const format = { dataPath: path, delimiter: ",", fields: ["phone"], phoneIndex: 0, dataStart: 6 };
  e.storage.env.transactionSync(() => putImportSync(e.storage, { ...rec, status: "running", format, rows: 9, imported: 5, duplicates: 2, invalid: 1, suppressed: 1 }));
  expect(readImportTotals(e.storage)).toEqual({ imported: 5, duplicates: 2, invalid: 1, suppressed: 1, running: 1 });
  const failed = (await runImport(e.deps, "co1", rec.id))!;
  expect(failed.error).toStartWith("upload_missing");
  expect(readImportTotals(e.storage)).toEqual({ imported: 5, duplicates: 2, invalid: 1, suppressed: 1, running: 0 });
});

test("the schema migration counts the imports written before importTotals existed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pombo-import-totals-mig-"));
  const s = openStorage(dir);
  try {
    const base = { v: 1, companyId: "co1", listId: "l1", path: "/x.csv", ownsFile: false, defaultCountry: "US", createdAt: 0, bytesTotal: 10, bytesDone: 10, checkpoint: { offset: 0, line: 0, sequential: false } } as const;
    s.env.transactionSync(() => {
      s.db("meta").putSync(META.schemaVersion, 1);
      // Written as version 1 wrote them: straight into `imports`, no totals.
      s.db("imports").putSync(["co1", "i1"], { ...base, id: "i1", status: "done", rows: 10, imported: 6, duplicates: 2, invalid: 1, suppressed: 1 });
      s.db("imports").putSync(["co1", "i2"], { ...base, id: "i2", status: "running", rows: 4, imported: 4, duplicates: 0, invalid: 0, suppressed: 0 });
    });
    expect(readImportTotals(s).running).toBe(0);
    migrate(s);
    expect(readImportTotals(s)).toEqual({ imported: 10, duplicates: 2, invalid: 1, suppressed: 1, running: 1 });
    // From then on the running import's progress and end move the totals from there.
    s.env.transactionSync(() => putImportSync(s, { ...base, id: "i2", status: "done", rows: 5, imported: 5, duplicates: 0, invalid: 0, suppressed: 0 }));
    expect(readImportTotals(s)).toEqual({ imported: 11, duplicates: 2, invalid: 1, suppressed: 1, running: 0 });
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
