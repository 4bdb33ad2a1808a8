import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { CommitAnswer, MergeAnswer } from "../../src/services/import-commit.ts";
import type { ChunkResult } from "../../src/workers/import-chunk.ts";
import { createPool } from "../../src/workers/pool.ts";
import { importTasks, makeImportEnv, threadNices } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real LMDB and worker threads: room under load (bunfig.toml cannot set it)

/**
 * Ids of this process's worker threads running at the pool's nice value (10): the pool's workers (threads they
 * start, e.g. a garbage collector's helper, inherit the nice value but have other names).
 */
const poolThreads = () => new Set([...threadNices()].filter(([tid, nice]) => nice === 10 && threadName(tid) === "Worker").map(([tid]) => tid));
const threadName = (tid: string) => {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
  } catch {
    return ""; // the thread ended meanwhile
  }
};
const added = (before: Set<string>) => [...poolThreads()].filter((t) => !before.has(t));

test("the pool's threads run at a lower priority than the main thread (Linux: nice is per thread)", async () => {
  const pool = createPool({ workerThreads: 2 });
  const env = makeImportEnv(pool);
  try {
    const { chunk } = importTasks(env, "phone,name\n+12025550100,Ann\n");
    await pool.run(chunk, { name: "importChunk" });
    const nices = threadNices();
    const main = nices.get(String(process.pid))!;
    expect([...nices.values()].filter((n) => n === 10 && n > main).length).toBeGreaterThanOrEqual(1);
  } finally {
    await pool.destroy();
    await env.close();
  }
});

test("import commits run on the pool's own writer thread (started at the first), never queued behind parsing", async () => {
  const before = poolThreads();
  const pool = createPool({ workerThreads: 1 });
  const env = makeImportEnv(pool);
  try {
    const { chunk, commit, merge } = importTasks(env, "phone,name\n+12025550100,Ann\n+12025550101,Bob\n");
    const result = (await pool.run(chunk, { name: "importChunk" })) as ChunkResult;
    const parser = added(before);
    expect(parser.length).toBe(1); // one parse thread; no writer yet

    const answer = (await pool.run(commit(result), { name: "commitChunk" })) as CommitAnswer;
    expect(answer.record).toMatchObject({ rows: 2, imported: 0, checkpoint: { runs: 1 } });
    const threads = added(before);
    expect(threads.length).toBe(2);
    expect(threads).toContain(parser[0]!);
    const merged = (await pool.run(merge, { name: "mergeBatch" })) as MergeAnswer;
    expect(merged).toMatchObject({ done: true, record: { rows: 2, imported: 2 } });
    expect(added(before)).toEqual(threads); // the same writer thread
  } finally {
    await pool.destroy();
    await env.close();
  }
  for (const name of ["commitChunk", "mergeBatch", "importChunk"]) {
    const refused = await pool.run({}, { name }).then(() => "ran", (e: unknown) => String(e));
    expect(refused).toBe("Error: the worker pool is closed");
  }
});
