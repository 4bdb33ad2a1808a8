/**
 * CSV import fuzzing: 1,200 malformed files from a seeded generator (bad encodings, invalid or truncated UTF-8,
 * broken and unbalanced quotes, huge fields, random bytes, NULs, mixed delimiters, BOMs in the middle, CR-only
 * line ends, UTF-16 garbage…), each imported through the real import service and worker pool. Every import
 * must end `done` (with counts that add up) or `failed` with a reason; nothing may throw out of the service;
 * memory stays bounded over the run. A failure names the file's number: `FUZZ_FILE=N bun test test/fuzz/csv.test.ts`
 * imports that file alone and prints it, its record and its errors.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkerPool } from "../../src/workers/pool.ts";
import { importErrors } from "../../src/storage/imports.ts";
import { getList } from "../../src/storage/lists.ts";
import { makeImportEnv, testPool, type ImportEnv } from "../helpers/imports.ts";
import { Prng } from "./prng.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const ONLY = process.env.FUZZ_FILE === undefined ? undefined : Number(process.env.FUZZ_FILE);
const FILES = Number(process.env.FUZZ_FILES ?? 1_200);
const SEED = 0x9e3779b9;
const dir = mkdtempSync(join(tmpdir(), "pombo-fuzz-csv-"));
let pool: WorkerPool;
let env: ImportEnv;
beforeAll(() => {
  pool = testPool();
  env = makeImportEnv(pool, { workerThreads: 2 });
}, 60_000);
afterAll(async () => {
  await env.close();
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const enc = (s: string) => Buffer.from(s, "utf8");

/** Field text: quotes, delimiters, line breaks and non-ASCII, but no NUL (that is a mutation of its own). */
const FIELD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 ,;\"'\t\r\n+-()é€😀\u2028\ufeff";

/** A plausible CSV to start from: a header with a phone column and a few rows of mixed quality. */
function baseCsv(r: Prng): string {
  const delim = r.pick([",", ";", "\t", "|"]);
  const eol = r.pick(["\n", "\r\n"]);
  const header = r.pick([["phone", "name", "note"], ["Name", "Mobile"], ["id", "Phone Number", "city", "x"], ["msisdn"]]);
  const lines = [header.join(delim)];
  for (let i = r.int(0, 40); i > 0; i--) {
    lines.push(header.map((h) => (/phone|mobile|msisdn/i.test(h) ? r.pick([`+1212555${r.int(1000, 9999)}`, `(415) 555-${r.int(1000, 9999)}`, "12", "", "abc", `+44 7911 ${r.int(100000, 999999)}`]) : r.string(r.int(0, 12), FIELD_CHARS))).join(delim));
  }
  return lines.join(eol) + (r.chance(0.7) ? eol : "");
}

const INVALID_UTF8 = [[0x80], [0xbf, 0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff], [0xfe, 0xfe], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];

function insertAt(b: Buffer, at: number, bytes: ArrayLike<number>): Buffer {
  return Buffer.concat([b.subarray(0, at), Buffer.from(bytes as number[]), b.subarray(at)]);
}

/** One mutation of a file; each is a way real uploads have been broken. */
const MUTATIONS: Record<string, (b: Buffer, r: Prng) => Buffer> = {
  invalidUtf8: (b, r) => { for (let i = r.int(1, 5); i > 0; i--) b = insertAt(b, r.int(0, b.length), r.pick(INVALID_UTF8)); return b; },
  latin1: (b) => Buffer.from(b.toString("utf8").replace(/e/g, "é"), "latin1"),
  truncatedMultibyte: (b, r) => Buffer.concat([b, enc(r.pick(["€", "😀", "é"])).subarray(0, 1)]),
  cutAnywhere: (b, r) => b.subarray(0, r.int(0, b.length)),
  strayQuotes: (b, r) => { for (let i = r.int(1, 6); i > 0; i--) b = insertAt(b, r.int(0, b.length), [0x22]); return b; },
  unbalancedQuote: (b, r) => { const s = b.toString("utf8").split("\n"); const i = r.int(0, s.length - 1); s[i] = `"${s[i]}`; return enc(s.join("\n")); },
  quotedNewlines: (b, r) => insertAt(b, r.int(0, b.length), enc(`"a\nb\r\nc""d"`)),
  hugeField: (b, r) => insertAt(b, r.int(0, b.length), enc("x".repeat(r.pick([5_000, 70_000, 300_000])))),
  hugeQuotedField: (b, r) => insertAt(b, r.int(0, b.length), enc(`"${"y\n".repeat(r.pick([1_000, 40_000]))}`)),
  randomBytes: (_b, r) => Buffer.from(r.bytes(r.int(1, 4096))),
  randomText: (_b, r) => enc(r.string(r.int(1, 3000))),
  nuls: (b, r) => { for (let i = r.int(1, 20); i > 0; i--) b = insertAt(b, r.int(0, b.length), [0]); return b; },
  mixedDelimiters: (b, r) => enc(b.toString("utf8").replace(/[,;\t|]/g, () => r.pick([",", ";", "\t", "|", ",,", ""]))),
  bomInMiddle: (b, r) => insertAt(b, r.int(0, b.length), r.pick([[0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff]])),
  bomAtStart: (b, r) => insertAt(b, 0, r.pick([[0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff], [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]])),
  crOnly: (b) => enc(b.toString("utf8").replace(/\r?\n/g, "\r")),
  utf16Garbage: (b, r) => { const t = Buffer.from(b.toString("utf8"), "utf16le"); return r.chance(0.5) ? t.subarray(0, t.length - 1) : Buffer.concat([t, Buffer.from(r.bytes(3))]); },
  utf16beOddly: (b) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(b.toString("utf8"), "utf16le").swap16(), Buffer.from([0x41])]),
  manyColumns: (b, r) => insertAt(b, 0, enc(`${"c,".repeat(r.pick([100, 1_500, 20_000]))}`)),
  blankish: (_b, r) => enc(r.pick(["", "\n", "\r\n\r\n", " ", "\ufeff", '"', '""', "phone", "phone\n", "phone\r", ",,,\n,,,", "\u0000"])),
  longHeader: (_b, r) => enc(`phone,${"h".repeat(r.pick([70_000, 1_100_000]))}\n+12125550100,x\n`),
  controlChars: (b, r) => { for (let i = r.int(1, 10); i > 0; i--) b = insertAt(b, r.int(0, b.length), [r.pick([1, 7, 8, 11, 12, 27, 127, 0x85])]); return b; },
};
const NAMES = Object.keys(MUTATIONS);

/** File `i`: a base CSV with one to three mutations, all from seed SEED + i. */
function generate(i: number): { bytes: Buffer; recipe: string[] } {
  const r = new Prng(SEED + i);
  let bytes: Buffer = enc(baseCsv(r));
  // Every mutation is first used alone, in order; after that, random combinations.
  const recipe = i < NAMES.length ? [NAMES[i]!] : Array.from({ length: r.int(1, 3) }, () => r.pick(NAMES));
  for (const m of recipe) bytes = MUTATIONS[m]!(bytes, r);
  return { bytes, recipe };
}

test(`${FILES} malformed CSV files each end done or failed with a reason, in bounded memory`, async () => {
  const outcomes = new Map<string, number>();
  const problems: string[] = [];
  const rssStart = process.memoryUsage().rss;
  let rssAfterWarmup = 0;
  let peakRss = 0;
  const one = async (i: number) => {
    const { bytes, recipe } = generate(i);
    const path = join(dir, `f${i}.csv`);
    writeFileSync(path, bytes);
    const where = `file ${i} (seed ${SEED + i}, ${recipe.join("+")}, ${bytes.length} bytes)`;
    try {
      const rec = await env.importFile(path);
      if (ONLY !== undefined) console.log(JSON.stringify(bytes.toString("latin1")), rec, [...importErrors(env.storage, "co1", rec.id)]);
      if (rec.status === "failed") {
        if (!/^[a-z_]+: ./.test(rec.error ?? "")) problems.push(`${where}: failed without a reason: ${rec.error}`);
        const reason = rec.error!.split(":")[0]!;
        outcomes.set(`failed ${reason}`, (outcomes.get(`failed ${reason}`) ?? 0) + 1);
      } else if (rec.status === "done") {
        outcomes.set("done", (outcomes.get("done") ?? 0) + 1);
        const errors = [...importErrors(env.storage, "co1", rec.id)].length;
        if (rec.rows !== rec.imported + rec.duplicates + rec.invalid + rec.suppressed) problems.push(`${where}: counts do not add up ${JSON.stringify(rec)}`);
        if (getList(env.storage, "co1", rec.listId)!.contacts !== rec.imported) problems.push(`${where}: list count differs from imported`);
        if (errors !== rec.invalid) problems.push(`${where}: ${rec.invalid} invalid rows but ${errors} in errors.csv`);
        if (rec.bytesDone !== rec.bytesTotal) problems.push(`${where}: bytesDone ${rec.bytesDone} of ${rec.bytesTotal}`);
      } else problems.push(`${where}: ended ${rec.status}`);
    } catch (e) {
      problems.push(`${where}: threw ${e instanceof Error ? e.stack : String(e)}`);
    } finally {
      rmSync(path, { force: true });
    }
  };
  const BATCH = 4;
  if (ONLY !== undefined) return void (await one(ONLY), expect(problems).toEqual([]));
  for (let i = 0; i < FILES; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, FILES - i) }, (_, k) => one(i + k)));
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    if (i === 200) rssAfterWarmup = rss;
  }
  Bun.gc(true);
  const rssEnd = process.memoryUsage().rss;
  const mb = (n: number) => Math.round(n / 1024 ** 2);
  console.log(`csv fuzz: ${FILES} files: ${[...outcomes].sort().map(([k, v]) => `${k} ${v}`).join(", ")}; rss at start ${mb(rssStart)} MiB, after warm-up ${mb(rssAfterWarmup)} MiB, peak ${mb(peakRss)} MiB, end ${mb(rssEnd)} MiB`);
  expect(problems.slice(0, 20)).toEqual([]);
  expect(outcomes.get("done") ?? 0).toBeGreaterThan(FILES / 4);
  // Bounded: what is left after the warm-up files does not grow with the number of files.
  // (Other test files share this process: measure against the larger of the two baselines.)
  expect(rssEnd - Math.max(rssStart, rssAfterWarmup)).toBeLessThan(200 * 1024 ** 2);
}, 120_000);
