import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkerPool } from "../../src/workers/pool.ts";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { getContact, listContacts } from "../../src/storage/contacts.ts";
import { importErrors } from "../../src/storage/imports.ts";
import { getList } from "../../src/storage/lists.ts";
import { putSuppressionSync } from "../../src/storage/suppressions.ts";
import { geoDataDir, makeImportEnv, testPool, type ImportEnv } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let pool: WorkerPool;
let env: ImportEnv;
const files = mkdtempSync(join(tmpdir(), "pombo-csv-"));
beforeAll(() => {
  pool = testPool();
  geoDataDir(); // builds the geo table once (a few seconds)
}, 60_000);
afterAll(async () => void (await pool.destroy()));
afterEach(async () => await env?.close());

function fresh(threads = 2) {
  env = makeImportEnv(pool, { workerThreads: threads });
  return env;
}

/** Encodes text as a file in one of the real-world encodings. */
function write(name: string, text: string, encoding: "utf8" | "utf8bom" | "utf16le" | "utf16be" | "cp1252" = "utf8"): string {
  const path = join(files, name);
  let bytes: Buffer;
  if (encoding === "utf8") bytes = Buffer.from(text, "utf8");
  else if (encoding === "utf8bom") bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
  else if (encoding === "utf16le") bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  else if (encoding === "utf16be") bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]);
  else bytes = Buffer.from(text, "latin1");
  writeFileSync(path, bytes);
  return path;
}

describe("exact counts on generated files", () => {
  test.each([
    ["comma LF", { delimiter: "," }],
    ["semicolon CRLF", { delimiter: ";", crlf: true }],
    ["tab", { delimiter: "\t" }],
    ["pipe, every field quoted", { delimiter: "|", quoteAll: true }],
  ])("%s: imported, duplicates and invalid match the generator", async (_name, opts) => {
    const e = fresh();
    const path = join(files, `gen-${_name.replace(/\W/g, "")}.csv`);
    const want = await generateCsv(path, { rows: 30_000, ...opts });
    const rec = await e.importFile(path);
    expect(rec).toMatchObject({ status: "done", rows: want.rows, imported: want.valid, duplicates: want.duplicates, invalid: want.invalid, suppressed: 0 });
    expect(getList(e.storage, "co1", rec.listId)!.contacts).toBe(want.valid);
  });

  test("suppressed numbers are counted and not added", async () => {
    const e = fresh();
    const path = join(files, "gen-supp.csv");
    const want = await generateCsv(path, { rows: 5_000 }, true);
    const suppressed = want.phones!.slice(0, 25);
    e.storage.env.transactionSync(() => suppressed.forEach((p) => putSuppressionSync(e.storage, "co1", p, { reason: "stop_word", at: 1 })));
    const rec = await e.importFile(path);
    // The generator's duplicates repeat recent phones, so a few of them may be suppressed ones too.
    expect(rec.imported).toBe(want.valid - 25);
    expect(rec.suppressed + rec.duplicates).toBe(25 + want.duplicates);
    expect(rec.rows).toBe(rec.imported + rec.duplicates + rec.invalid + rec.suppressed);
    expect(getContact(e.storage, "co1", rec.listId, suppressed[0]!)).toBeUndefined();
  });

  test("a single worker thread gives the same result as two", async () => {
    const path = join(files, "gen-one.csv");
    const want = await generateCsv(path, { rows: 20_000 });
    const rec = await fresh(1).importFile(path);
    expect(rec).toMatchObject({ imported: want.valid, duplicates: want.duplicates, invalid: want.invalid });
  });
});

describe("real-world encodings and shapes", () => {
  const text = "Name,Mobile,Note\r\nJosé,+1 (212) 555-0100,café\r\nZoë,415.555.0101,naïve\r\nBad,12,x\r\n";
  test.each(["utf8", "utf8bom", "utf16le", "utf16be", "cp1252"] as const)("%s", async (encoding) => {
    const e = fresh();
    const rec = await e.importFile(write(`enc-${encoding}.csv`, text, encoding));
    expect(rec).toMatchObject({ status: "done", rows: 3, imported: 2, invalid: 1 });
    const c = getContact(e.storage, "co1", rec.listId, "+12125550100")!;
    expect(c.fields).toEqual({ Name: "José", Note: "café" });
    expect(c.geo).toMatchObject({ country: "US", city: "New York", region: "NY", timezone: "America/New_York" });
  });

  test("quoted fields with delimiters, quotes and line breaks switch to sequential reading", async () => {
    const e = fresh();
    let body = "phone,first_name,notes\n";
    for (let i = 0; i < 3000; i++) body += `+1212555${String(1000 + i)},"Ann ""${i}""","line one\nline two, with comma"\n`;
    const rec = await e.importFile(write("multiline.csv", body));
    expect(rec).toMatchObject({ status: "done", rows: 3000, imported: 3000, invalid: 0 });
    expect(rec.checkpoint.sequential).toBe(true);
    expect(getContact(e.storage, "co1", rec.listId, "+12125551000")!.fields).toEqual({ first_name: 'Ann "0"', notes: "line one\nline two, with comma" });
  });

  test("the phone column is found by name or given with phoneColumn; other columns become fields", async () => {
    const e = fresh();
    const path = write("cols.csv", "id;Phone Number;home\n1;+12125550100;+14155550101\n");
    const byName = await e.importFile(path);
    expect(listContacts(e.storage, "co1", byName.listId, 10).items.map((c) => c.phone)).toEqual(["+12125550100"]);
    const given = await e.importFile(path, { phoneColumn: "HOME" });
    expect(listContacts(e.storage, "co1", given.listId, 10).items).toMatchObject([{ phone: "+14155550101", fields: { id: "1", "Phone Number": "+12125550100" } }]);
  });

  test("numbers without + use the import's default country", async () => {
    const e = fresh();
    const rec = await e.importFile(write("gb.csv", "phone\n020 7946 0958\n07911 123456\n"), { defaultCountry: "GB" });
    expect(rec).toMatchObject({ imported: 2, invalid: 0 });
    expect(listContacts(e.storage, "co1", rec.listId, 10).items.map((c) => c.phone)).toEqual(["+442079460958", "+447911123456"]);
  });
});

describe("bad files fail with a reason, never a crash", () => {
  test.each([
    ["empty file", "", "empty_file"],
    ["blank lines only", "\n\n\n", "empty_file"],
    ["header only", "phone,name\n", "no_rows"],
    ["no phone column", "name,email\nAnn,a@x\n", "no_phone_column"],
    ["too many columns", Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(",") + ",phone\n", "too_many_columns"],
  ])("%s", async (_name, body, reason) => {
    const rec = await fresh().importFile(write(`bad-${reason}.csv`, body));
    expect(rec.status).toBe("failed");
    expect(rec.error).toStartWith(reason);
  });

  test("binary garbage", async () => {
    const path = join(files, "garbage.bin");
    writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const rec = await fresh().importFile(path);
    expect(rec.status).toBe("failed");
    expect(rec.error).toStartWith("binary_file");
  });

  test("a 10 MB single line is one rejected row, and the rows after it import", async () => {
    const e = fresh();
    const rec = await e.importFile(write("longline.csv", `phone,note\n+12125550100,${"x".repeat(10 * 1024 * 1024)}\n+12125550101,ok\n`));
    expect(rec).toMatchObject({ status: "done", rows: 2, imported: 1, invalid: 1 });
    expect([...importErrors(e.storage, "co1", rec.id)].map(([line, reason]) => [line, reason])).toEqual([[2, "row_too_long"]]);
  });

  test("an unbalanced quote reports that row and the rows after it are still read", async () => {
    const e = fresh();
    const rec = await e.importFile(write("unbalanced.csv", 'phone,note\n+12125550100,ok\n+12125550101,"never closed\n+12125550102,after\n+12125550103,also after\n'));
    expect(rec.status).toBe("done");
    expect(rec.rows).toBe(rec.imported + rec.invalid + rec.duplicates);
    const errors = [...importErrors(e.storage, "co1", rec.id)];
    expect(errors[0]).toEqual([3, "unbalanced_quote", '+12125550101,"never closed']);
    expect(rec.imported).toBe(3);
  });

  test("errors carry the file's line numbers and raw text", async () => {
    const e = fresh();
    const rec = await e.importFile(write("errs.csv", 'phone,name\n+12125550100,a\n\nabc,b\n+12125550100,dup\n"x"y,c\n,d\n'));
    expect([...importErrors(e.storage, "co1", rec.id)]).toEqual([
      [4, "letters", "abc,b"],
      [6, "malformed_quotes", '"x"y,c'],
      [7, "missing_phone", ",d"],
    ]);
    expect(rec).toMatchObject({ rows: 5, imported: 1, duplicates: 1, invalid: 3 });
  });
});
