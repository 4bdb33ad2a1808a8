import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "bun";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { generateCsv, type GenCounts } from "../../scripts/gen-csv.ts";
import { createList } from "../../src/services/lists.ts";
import { FakeClock } from "../../src/clock.ts";
import { openStorage } from "../../src/storage/db.ts";
import { getImport, readImportTotals } from "../../src/storage/imports.ts";
import { geoDataDir } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const CLI = join(import.meta.dir, "../../src/cli/import.ts");
let dirs: string[] = [];
let csv: string;
let want: GenCounts;
beforeAll(async () => {
  const d = geoDataDir();
  dirs.push(d);
  csv = join(d, "resume.csv");
  want = await generateCsv(csv, { rows: 200_000, delimiter: ";", crlf: true }, true);
}, 60_000);
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function newDataDir(): { dir: string; listId: string } {
  const dir = geoDataDir();
  dirs.push(dir);
  const s = openStorage(dir);
  const list = createList({ storage: s, clock: new FakeClock() }, "co1", "resume");
  s.env.close();
  return { dir, listId: list.id };
}

/**
 * Runs the CLI (sorted runs of `runRows` contacts); SIGKILLs it at the first progress line `killWhen` accepts.
 * Progress lines come once per run written (phase one) and once per batch stored (phase two, `phase=storing`).
 */
async function runCli(dir: string, args: string[], runRows: number, killWhen?: (line: string) => boolean): Promise<{ importId?: string; killed: boolean }> {
  const env = { ...process.env, DATA_DIR: dir, LOG_LEVEL: "silent", IMPORT_RUN_ROWS: String(runRows) };
  const child = spawn(["bun", CLI, ...args], { env, stdout: "pipe", stderr: "inherit" });
  let importId: string | undefined;
  let killed = false;
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk);
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      importId ??= /^import (\w+)/.exec(line)?.[1];
      if (killWhen && !killed && line.startsWith("progress ") && killWhen(line)) {
        child.kill("SIGKILL");
        killed = true;
      }
    }
  }
  await child.exited;
  return { importId, killed };
}

const rowsAtLeast = (n: number) => (line: string) => Number(/rows=(\d+)/.exec(line)?.[1] ?? 0) >= n && line.includes("phase=reading");
/** The `n`-th storing line of this process (some batches of phase two committed before the kill). */
const storingLine = (n: number) => {
  let seen = 0;
  return (line: string) => line.includes("phase=storing") && ++seen >= n;
};

test("an import killed with SIGKILL several times, while reading and while storing, resumes to exactly the uninterrupted result", async () => {
  const clean = newDataDir();
  const full = await runCli(clean.dir, [csv, "--list", clean.listId], 250_000); // one run
  const interrupted = newDataDir();
  // Runs of 30,000 contacts: ~7 of them, each a checkpoint of phase one.
  const first = await runCli(interrupted.dir, [csv, "--list", interrupted.listId], 30_000, rowsAtLeast(30_000));
  expect(first.killed).toBe(true);
  let kills = 1;
  for (const killWhen of [rowsAtLeast(80_000), rowsAtLeast(130_000), storingLine(3), storingLine(2)]) {
    const r = await runCli(interrupted.dir, ["--resume", first.importId!], 30_000, killWhen);
    if (r.killed) kills++;
  }
  await runCli(interrupted.dir, ["--resume", first.importId!], 30_000);
  expect(kills).toBeGreaterThanOrEqual(4);

  const a = openStorage(clean.dir);
  const b = openStorage(interrupted.dir);
  const recA = getImport(a, "co1", full.importId!)!;
  const recB = getImport(b, "co1", first.importId!)!;
  expect(recA).toMatchObject({ status: "done", imported: want.valid, duplicates: want.duplicates, invalid: want.invalid, rows: want.rows });
  const counters = (r: typeof recA) => [r.status, r.rows, r.imported, r.duplicates, r.invalid, r.suppressed, r.bytesDone, r.bytesTotal];
  expect(counters(recB)).toEqual(counters(recA));
  // The /metrics totals moved with each committed batch, so kills neither lost nor doubled any row.
  const totals = { imported: recA.imported, duplicates: recA.duplicates, invalid: recA.invalid, suppressed: recA.suppressed, running: 0 };
  expect(readImportTotals(a)).toEqual(totals);
  expect(readImportTotals(b)).toEqual(totals);
  const dump = (s: typeof a, listId: string) => [...s.db("contacts").getRange({ start: ["co1", listId], end: ["co1", listId, "\uffff"] })].map(({ key, value }) => [(key as string[])[2], Buffer.from(value).toString("base64")]);
  const contactsA = dump(a, clean.listId);
  expect(contactsA.length).toBe(want.valid);
  expect(dump(b, interrupted.listId)).toEqual(contactsA);
  const errs = (s: typeof a, id: string) => [...s.db("importErrors").getRange({ start: ["co1", id], end: ["co1", id, Infinity] })].map(({ key, value }) => [(key as unknown[])[2], value]);
  expect(errs(b, first.importId!)).toEqual(errs(a, full.importId!));
  await a.close();
  await b.close();
}, 120_000);
