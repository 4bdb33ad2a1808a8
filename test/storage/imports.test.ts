import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage } from "../../src/storage/db.ts";
import { getImport, putImportSync, type ImportRecord } from "../../src/storage/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "pombo-imports-store-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const record = (path: string, dataPath: string): ImportRecord => ({
  v: 1, id: "imp1", companyId: "co1", listId: "l1", status: "running", path, ownsFile: true, defaultCountry: "US", createdAt: 1,
  bytesTotal: 10, bytesDone: 0, rows: 0, imported: 0, duplicates: 0, invalid: 0, suppressed: 0,
  format: { dataPath, delimiter: ",", fields: ["phone"], phoneIndex: 0, dataStart: 6 },
  checkpoint: { offset: 6, line: 1, sequential: false },
} as ImportRecord);

test("files under DATA_DIR are stored relative to it: a copy of the data (a restore) reads its own files, not the original's", async () => {
  const original = tempDir();
  const s = openStorage(original, { mappedBudgetBytes: 0 });
  const upload = join(original, "uploads", "a.csv");
  s.env.transactionSync(() => putImportSync(s, record(upload, `${upload}.utf8`)));
  expect(getImport(s, "co1", "imp1")).toMatchObject({ path: upload, format: { dataPath: `${upload}.utf8` } });
  expect((s.db("imports").get(["co1", "imp1"]) as ImportRecord).path).toBe(join("uploads", "a.csv"));
  // A file outside DATA_DIR (the CLI imports a local file where it lies) keeps its absolute path.
  const local = join(tempDir(), "contacts.csv");
  s.env.transactionSync(() => putImportSync(s, { ...record(local, local), id: "imp2" }));
  expect(getImport(s, "co1", "imp2")).toMatchObject({ path: local, format: { dataPath: local } });
  await s.close();

  const restored = tempDir();
  cpSync(join(original, "db"), join(restored, "db"), { recursive: true });
  const r = openStorage(restored, { mappedBudgetBytes: 0 });
  expect(getImport(r, "co1", "imp1")).toMatchObject({ path: join(restored, "uploads", "a.csv"), format: { dataPath: join(restored, "uploads", "a.csv.utf8") } });
  expect(getImport(r, "co1", "imp2")!.path).toBe(local);
  await r.close();
});
