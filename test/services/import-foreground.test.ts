/**
 * Phase two writes in small batches (BUSY_BATCH_ROWS) while foreground work runs, so no single commit holds the
 * writer for long; and however the rows are cut into runs, and wherever the list's keys fall in the database
 * (appended at its end or put among other lists' keys), the stored contacts are the same.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { BATCH_ROWS, BUSY_BATCH_ROWS, runImport } from "../../src/services/import-run.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import type { ImportRecord } from "../../src/storage/imports.ts";
import { listContacts } from "../../src/storage/contacts.ts";
import { getList } from "../../src/storage/lists.ts";
import { PhoneNormaliser } from "../../src/domain/phone.ts";
import { Prng } from "../fuzz/prng.ts";
import { importSuite } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const { files, fresh } = importSuite("pombo-import-fg-");

/** Imports `path` into a new list with `busy` as the foreground probe; the rows each phase-two batch wrote. */
async function importWithProbe(e: ReturnType<typeof fresh>, path: string, busy: () => boolean, runRows?: number) {
  const list = createList(e.deps, "co1", `l${Math.random()}`);
  const rec = createImport(e.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
  const batches: number[] = [];
  let last = 0;
  const onProgress = (r: ImportRecord) => {
    const written = r.imported + r.duplicates + r.suppressed;
    if (r.checkpoint.merged) batches.push(written - last); // else phase one (it counts repeats in a run)
    last = written;
  };
  const deps = runRows ? { ...e.deps, config: { ...e.deps.config, importRunRows: runRows } } : e.deps;
  const done = (await runImport(deps, "co1", rec.id, onProgress, busy))!;
  return { done, batches, listId: list.id };
}

const counts = (r: ImportRecord) => [r.rows, r.imported, r.duplicates, r.invalid, r.suppressed];

test("phase-two batches shrink while foreground work runs, and grow back when it stops; counts are unchanged", async () => {
  const e = fresh();
  const path = join(files, "a.csv");
  const rows = 30_000;
  const want = await generateCsv(path, { rows }, true);
  const importOnce = (busy: () => boolean) => importWithProbe(e, path, busy);
  const idle = await importOnce(() => false);
  const busy = await importOnce(() => true);
  expect(Math.max(...idle.batches)).toBe(BATCH_ROWS);
  expect(Math.max(...busy.batches)).toBe(BUSY_BATCH_ROWS);
  expect(busy.batches.length).toBeGreaterThan(want.valid / BUSY_BATCH_ROWS);
  expect(counts(busy.done)).toEqual(counts(idle.done));
  expect(idle.done).toMatchObject({ imported: want.valid, duplicates: want.duplicates, invalid: want.invalid });
  // Foreground work that comes and goes: batch sizes follow it.
  let calls = 0;
  const mixed = await importOnce(() => Math.floor(calls++ / 4) % 2 === 0);
  expect(Math.min(...mixed.batches.slice(0, -1))).toBe(BUSY_BATCH_ROWS);
  expect(Math.max(...mixed.batches)).toBe(BATCH_ROWS);
  expect(counts(mixed.done)).toEqual(counts(idle.done));
});

test("a shuffled file read through many small runs stores exactly what one run stores: the first row of each phone wins", async () => {
  const e = fresh();
  const path = join(files, "b.csv");
  const want = await generateCsv(path, { rows: 30_000 }, true);
  const [header, ...lines] = readFileSync(path, "utf8").trimEnd().split("\n");
  const rand = new Prng(7);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(rand.next() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  writeFileSync(path, [header, ...lines].join("\n") + "\n");
  const one = await importWithProbe(e, path, () => false);
  const many = await importWithProbe(e, path, () => false, 1_000); // ~28 runs
  expect(counts(many.done)).toEqual(counts(one.done));
  expect(many.done).toMatchObject({ imported: want.valid, duplicates: want.duplicates, invalid: want.invalid, status: "done" });
  const contacts = (listId: string) => listContacts(e.storage, "co1", listId, 100_000).items;
  const a = contacts(one.listId);
  expect(a.length).toBe(want.valid);
  expect(contacts(many.listId)).toEqual(a);
  // The first row of a repeated phone is the one kept: its email (unique per row) is the earliest line's.
  const phones = new PhoneNormaliser("US");
  const firstEmail = new Map<string, string>();
  for (const line of lines) {
    const [, , email, phone] = line.split(",");
    const p = phones.normalise(phone!);
    if (p.ok && !firstEmail.has(p.e164)) firstEmail.set(p.e164, email!);
  }
  expect(firstEmail.size).toBe(want.valid);
  expect(a.filter((c) => c.fields.email !== firstEmail.get(c.phone))).toEqual([]);
});

test("an import into a list that is not the last in the database, and a second import into the same list, store what a fresh one does", async () => {
  const e = fresh();
  const path = join(files, "c.csv");
  const want = await generateCsv(path, { rows: 12_000 }, true);
  const older = createList(e.deps, "co1", "older");
  const newer = await importWithProbe(e, path, () => false); // a newer list, imported first: at the database's end
  const run = async (listId: string) => {
    const rec = createImport(e.deps, "co1", listId, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
    return (await runImport({ ...e.deps, config: { ...e.deps.config, importRunRows: 3_000 } }, "co1", rec.id))!;
  };
  // The older list's keys sort before the newer list's: every append is refused and ordinary puts store them.
  const first = await run(older.id);
  expect(first).toMatchObject({ status: "done", imported: want.valid, duplicates: want.duplicates, invalid: want.invalid });
  const contacts = (listId: string) => listContacts(e.storage, "co1", listId, 100_000).items;
  expect(contacts(older.id)).toEqual(contacts(newer.listId));
  // The same file again into the same list: every phone is already there.
  const again = await run(older.id);
  expect(again).toMatchObject({ status: "done", imported: 0, duplicates: want.valid + want.duplicates, invalid: want.invalid });
  expect(contacts(older.id)).toEqual(contacts(newer.listId));
  expect(getList(e.storage, "co1", older.id)?.contacts).toBe(want.valid);
});

test("while foreground work runs one chunk is parsed at a time; idle, several are", async () => {
  const e = fresh();
  const path = join(files, "d.csv");
  await generateCsv(path, { rows: 30_000 }, true);
  /** The most import chunks handed to the pool at once during a run. */
  const peakParsing = async (busy: () => boolean) => {
    let parsing = 0;
    let peak = 0;
    const pool = e.deps.pool;
    const counting = {
      run: (task: unknown, opts: { name: string }) => {
        if (opts.name !== "importChunk") return pool.run(task, opts);
        peak = Math.max(peak, ++parsing);
        return pool.run(task, opts).finally(() => parsing--);
      },
    };
    const list = createList(e.deps, "co1", `l${Math.random()}`);
    const rec = createImport(e.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
    const done = (await runImport({ ...e.deps, pool: counting } as never, "co1", rec.id, undefined, busy))!;
    expect(done.status).toBe("done");
    return peak;
  };
  expect(await peakParsing(() => true)).toBe(1);
  expect(await peakParsing(() => false)).toBeGreaterThan(1);
});
