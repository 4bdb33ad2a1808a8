/**
 * While foreground work runs, an import commits in small batches (BUSY_BATCH_ROWS) so no single commit holds
 * the event loop for long; the result is the same as with full-size batches.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { BATCH_ROWS, BUSY_BATCH_ROWS, runImport } from "../../src/services/import-run.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import type { ImportRecord } from "../../src/storage/imports.ts";
import { importSuite } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const { files, fresh } = importSuite("pombo-import-fg-");

/** Imports `path` into a new list with `busy` as the foreground probe; the rows each committed batch added. */
async function importWithProbe(e: ReturnType<typeof fresh>, path: string, busy: () => boolean) {
  const list = createList(e.deps, "co1", `l${Math.random()}`);
  const rec = createImport(e.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
  const batches: number[] = [];
  let last = 0;
  const done = (await runImport(e.deps, "co1", rec.id, (r: ImportRecord) => (batches.push(r.rows - last), (last = r.rows)), busy))!;
  return { done, batches };
}

test("batches shrink while foreground work runs, and grow back when it stops; counts are unchanged", async () => {
  const e = fresh();
  const path = join(files, "a.csv");
  const rows = 20_000;
  const want = await generateCsv(path, { rows }, true);
  const importOnce = (busy: () => boolean) => importWithProbe(e, path, busy);
  const idle = await importOnce(() => false);
  const busy = await importOnce(() => true);
  expect(Math.max(...idle.batches)).toBeGreaterThan(BATCH_ROWS / 2);
  expect(Math.max(...busy.batches)).toBeLessThan(BUSY_BATCH_ROWS * 2);
  expect(busy.batches.length).toBeGreaterThan(rows / (BUSY_BATCH_ROWS * 2));
  const counts = (r: ImportRecord) => [r.rows, r.imported, r.duplicates, r.invalid, r.suppressed];
  expect(counts(busy.done)).toEqual(counts(idle.done));
  expect(idle.done.invalid).toBe(want.invalid);
  // Foreground work that comes and goes: batch sizes follow it.
  let calls = 0;
  const mixed = await importOnce(() => Math.floor(calls++ / 4) % 2 === 0);
  expect(Math.min(...mixed.batches.slice(0, -1))).toBeLessThan(BUSY_BATCH_ROWS * 2);
  expect(Math.max(...mixed.batches)).toBeGreaterThan(BATCH_ROWS / 2);
  expect(counts(mixed.done)).toEqual(counts(idle.done));
});

test("full batches planned before foreground work began are read again in small ones, not committed whole", async () => {
  const e = fresh();
  const path = join(files, "b.csv");
  await generateCsv(path, { rows: 30_000 }, true);
  const run = (busy: () => boolean) => importWithProbe(e, path, busy);
  const idle = await run(() => false);
  // Idle while the first chunks are planned (full size), busy from then on.
  let calls = 0;
  const switched = await run(() => calls++ >= 3);
  expect(Math.max(...switched.batches)).toBeLessThan(BUSY_BATCH_ROWS * 2);
  const counts = (r: ImportRecord) => [r.rows, r.imported, r.duplicates, r.invalid, r.suppressed];
  expect(counts(switched.done)).toEqual(counts(idle.done));
});
