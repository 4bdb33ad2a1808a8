import { expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommitAnswer, CommitTask } from "../../src/services/import-commit.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { contactKeyPrefix } from "../../src/storage/contacts.ts";
import { putImportSync } from "../../src/storage/imports.ts";
import type { ChunkResult, ChunkTask } from "../../src/workers/import-chunk.ts";
import { importSuite } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real LMDB and worker threads: room under load (bunfig.toml cannot set it)

const suite = importSuite("pombo-commit-test-");

const HEADER = "phone,name\n";
const CSV = HEADER + "+12025550100,Ann\n+12025550101,Bob\n+12025550100,Ann again\nnot a phone,Cy\n";

/** An import whose checkpoint sits after the header, and the worker task for the rest of its file. */
function prepare() {
  const env = suite.fresh();
  const path = join(suite.files, `c-${crypto.randomUUID()}.csv`);
  writeFileSync(path, CSV);
  const list = createList(env.deps, "co1", "l");
  const rec = createImport(env.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
  const start = HEADER.length;
  env.storage.env.transactionSync(() => putImportSync(env.storage, { ...rec, status: "running", bytesTotal: CSV.length, checkpoint: { offset: start, line: 1, sequential: false } }));
  const chunk: ChunkTask = {
    path, start, end: CSV.length, fileSize: CSV.length, sequential: false, delimiter: ",", fields: ["phone", "name"], phoneIndex: 0,
    defaultCountry: "US", dataDir: env.dir, keyPrefix: contactKeyPrefix("co1", list.id),
  };
  const commit = (result: ChunkResult): CommitTask => ({ dataDir: env.dir, run: "r1", companyId: "co1", importId: rec.id, result, sequential: false });
  return { env, chunk, commit, listId: list.id };
}

test("a worker commits a parsed chunk with the import's counters and checkpoint; the same chunk again changes nothing", async () => {
  const { env, chunk, commit } = prepare();
  const pool = env.deps.pool;
  const result = (await pool.run(chunk, { name: "importChunk" })) as ChunkResult;
  const first = (await pool.run(commit(result), { name: "commitChunk" })) as CommitAnswer;
  expect(first.record).toMatchObject({ rows: 4, imported: 2, duplicates: 1, invalid: 1, checkpoint: { offset: CSV.length, line: 5 } });
  const again = (await pool.run(commit(result), { name: "commitChunk" })) as CommitAnswer;
  expect(again.record).toMatchObject({ rows: 4, imported: 2, duplicates: 1, invalid: 1, checkpoint: { offset: CSV.length, line: 5 } });
  expect([...env.storage.db("contacts").getKeys()].length).toBe(2);
  expect([...env.storage.db("importErrors").getKeys()].length).toBe(1);
});

test("a chunk that does not start at the checkpoint is refused and writes nothing", async () => {
  const { env, chunk, commit } = prepare();
  const pool = env.deps.pool;
  const result = (await pool.run({ ...chunk, start: chunk.start + HEADER.length + 1 }, { name: "importChunk" })) as ChunkResult;
  const error = await pool.run(commit(result), { name: "commitChunk" }).then(() => undefined, (e: unknown) => e);
  expect(String(error)).toMatch(/does not follow the checkpoint at 11/);
  expect([...env.storage.db("contacts").getKeys()].length).toBe(0);
});

test("the pool's threads run at a lower priority than the main thread (Linux: nice is per thread)", async () => {
  const { env, chunk } = prepare();
  await env.deps.pool.run(chunk, { name: "importChunk" });
  // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value (after the parenthesised name).
  const nice = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
  const tids = readdirSync("/proc/self/task");
  const main = nice(String(process.pid));
  expect(tids.filter((t) => nice(t) === 10 && nice(t) > main).length).toBeGreaterThanOrEqual(1);
});
