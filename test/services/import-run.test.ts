import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { stopImportCommits } from "../../src/services/import-commit.ts";
import { runImport } from "../../src/services/import-run.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { createPool } from "../../src/workers/pool.ts";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { makeImportEnv } from "../helpers/imports.ts";
import { putImportSync, type ImportRecord } from "../../src/storage/imports.ts";

setDefaultTimeout(60_000); // real LMDB and worker threads: room under load (bunfig.toml cannot set it)

const pool = createPool({ workerThreads: 2 });
const env = makeImportEnv(pool);
afterAll(async () => {
  await env.close();
  await pool.destroy();
});

test("a commit that fails mid-import ends the run with that error, never as an unhandled rejection", async () => {
  const csv = join(env.dir, "contacts.csv");
  await generateCsv(csv, { rows: 50_000 });
  const list = createList(env.deps, "co1", "big");
  const rec = createImport(env.deps, "co1", list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false }, {}, false);
  const config = { ...env.deps.config, importRunRows: 5_000 }; // every chunk writes a run: the first one commits
  // The real pool, except that the second commit fails (as when the pool is closed under a running import).
  let commits = 0;
  const failing = {
    run: (task: unknown, opts: { name: string }) =>
      opts.name === "commitChunk" && ++commits === 2 ? Promise.reject(new Error("commit refused")) : pool.run(task, opts),
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    const outcome = await runImport({ ...env.deps, config, pool: failing }, "co1", rec.id).then(() => "finished", (e: unknown) => String(e));
    await new Promise((r) => setImmediate(r)); // a stray rejection is reported by the end of this turn
    expect(outcome).toBe("Error: commit refused");
    expect(unhandled.map(String)).toEqual([]);
    const stored = env.storage.db("imports").get(["co1", rec.id]) as { status: string; rows: number };
    expect(stored.status).toBe("running"); // the job runs it again, from the first batch's checkpoint
    expect(stored.rows).toBeGreaterThan(0);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

test("stopping commits before the pool closes: the run pauses after its batch in flight, the pool ends, a new run finishes exact", async () => {
  const own = createPool({ workerThreads: 2 });
  const csv = join(env.dir, "stop.csv");
  const counts = await generateCsv(csv, { rows: 50_000 });
  const list = createList(env.deps, "co1", "stop");
  const rec = createImport(env.deps, "co1", list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false }, {}, false);
  let stopping: Promise<void> | undefined;
  const outcome = await runImport({ ...env.deps, pool: own }, "co1", rec.id, () => void (stopping ??= stopImportCommits(own))).then(
    () => "finished",
    (e: unknown) => String(e),
  );
  await stopping;
  expect(outcome).toContain("the worker pool is closing");
  await own.destroy(); // no worker is inside a write transaction: the threads end
  const paused = env.storage.db("imports").get(["co1", rec.id]) as { status: string; rows: number };
  expect(paused.status).toBe("running");
  expect(paused.rows).toBeGreaterThan(0);
  const done = await runImport(env.deps, "co1", rec.id);
  expect(done).toMatchObject({ status: "done", imported: counts.valid, duplicates: counts.duplicates, invalid: counts.invalid, rows: 50_000 });
});

test("an import whose sorted runs are gone (restored from a backup taken mid-import) ends as failed with the reason", async () => {
  const csv = join(env.dir, "gone.csv");
  await generateCsv(csv, { rows: 100 });
  const list = createList(env.deps, "co1", "gone");
  const rec = createImport(env.deps, "co1", list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false }, {}, false);
  const stored = env.storage.db("imports").get(["co1", rec.id]) as ImportRecord;
  env.storage.env.transactionSync(() => putImportSync(env.storage, { ...stored, status: "running", checkpoint: { offset: 40, line: 2, sequential: false, runs: 2 } }));
  const done = await runImport(env.deps, "co1", rec.id);
  expect(done).toMatchObject({ status: "failed" });
  expect(done!.error).toMatch(/^runs_missing: run 0 of the import/);
});
