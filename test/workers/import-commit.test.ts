import { expect, setDefaultTimeout, test } from "bun:test";
import type { CommitAnswer, MergeAnswer } from "../../src/services/import-commit.ts";
import type { ChunkResult } from "../../src/workers/import-chunk.ts";
import { importSuite, importTasks } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real LMDB and worker threads: room under load (bunfig.toml cannot set it)

const suite = importSuite("pombo-commit-test-");

const HEADER = "phone,name\n";
const CSV = HEADER + "+12025550100,Ann\n+12025550101,Bob\n+12025550100,Ann again\nnot a phone,Cy\n";

/** An import whose checkpoint sits after the header, and the worker task for the rest of its file. */
function prepare() {
  const env = suite.fresh();
  return { env, ...importTasks(env, CSV) };
}

test("phase one writes a parsed chunk as a run with the counters and checkpoint; phase two stores its contacts; each again changes nothing", async () => {
  const { env, chunk, commit, merge } = prepare();
  const pool = env.deps.pool;
  const result = (await pool.run(chunk, { name: "importChunk" })) as ChunkResult;
  const read = { rows: 4, duplicates: 1, invalid: 1, checkpoint: { offset: CSV.length, line: 5, runs: 1 } };
  const first = (await pool.run(commit(result), { name: "commitChunk" })) as CommitAnswer;
  expect(first.record).toMatchObject({ ...read, imported: 0 });
  expect([...env.storage.db("contacts").getKeys()].length).toBe(0); // phase one writes no contact
  const again = (await pool.run(commit(result), { name: "commitChunk" })) as CommitAnswer;
  expect(again.record).toMatchObject({ ...read, imported: 0 });
  const stored = (await pool.run(merge, { name: "mergeBatch" })) as MergeAnswer;
  expect(stored).toMatchObject({ done: true, record: { ...read, imported: 2 } });
  const twice = (await pool.run(merge, { name: "mergeBatch" })) as MergeAnswer;
  expect(twice).toMatchObject({ done: true, record: { ...read, imported: 2 } });
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
