import { expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommitAnswer } from "../../src/services/import-commit.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { contactKeyPrefix } from "../../src/storage/contacts.ts";
import { putImportSync } from "../../src/storage/imports.ts";
import type { ChunkResult } from "../../src/workers/import-chunk.ts";
import { createPool } from "../../src/workers/pool.ts";
import { makeImportEnv } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real LMDB and worker threads: room under load (bunfig.toml cannot set it)

/** Ids of this process's threads running at the pool's nice value (10): the pool's workers. */
function poolThreads(): Set<string> {
  const out = new Set<string>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value (after the parenthesised name).
      if (Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]) === 10) out.add(tid);
    } catch {
      // The thread ended meanwhile (another test file's pool): not ours.
    }
  }
  return out;
}
const added = (before: Set<string>) => [...poolThreads()].filter((t) => !before.has(t));

test("import commits run on the pool's own writer thread (started at the first), never queued behind parsing", async () => {
  const before = poolThreads();
  const pool = createPool({ workerThreads: 1 });
  const env = makeImportEnv(pool);
  try {
    const csv = "phone,name\n+12025550100,Ann\n+12025550101,Bob\n";
    const path = join(env.dir, "pool.csv");
    writeFileSync(path, csv);
    const list = createList(env.deps, "co1", "l");
    const rec = createImport(env.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
    const start = "phone,name\n".length;
    env.storage.env.transactionSync(() => putImportSync(env.storage, { ...rec, status: "running", bytesTotal: csv.length, checkpoint: { offset: start, line: 1, sequential: false } }));
    const chunk = { path, start, end: csv.length, fileSize: csv.length, sequential: false, delimiter: ",", fields: ["phone", "name"], phoneIndex: 0, defaultCountry: "US", dataDir: env.dir, keyPrefix: contactKeyPrefix("co1", list.id) };
    const result = (await pool.run(chunk, { name: "importChunk" })) as ChunkResult;
    const parser = added(before);
    expect(parser.length).toBe(1); // one parse thread; no writer yet

    const answer = (await pool.run({ dataDir: env.dir, run: "r1", companyId: "co1", importId: rec.id, result, sequential: false }, { name: "commitChunk" })) as CommitAnswer;
    expect(answer.record).toMatchObject({ rows: 2, imported: 2 });
    const threads = added(before);
    expect(threads.length).toBe(2);
    expect(threads).toContain(parser[0]!);
  } finally {
    await pool.destroy();
    await env.close();
  }
  for (const name of ["commitChunk", "importChunk"]) {
    const refused = await pool.run({}, { name }).then(() => "ran", (e: unknown) => String(e));
    expect(refused).toBe("Error: the worker pool is closed");
  }
});
