import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { runImport } from "../../src/services/import-run.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { createPool } from "../../src/workers/pool.ts";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { makeImportEnv } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real LMDB and worker threads: room under load (bunfig.toml cannot set it)

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup) await f();
});

test("an import whose pool closes mid-run fails its run with the pool's error, with no unhandled rejection", async () => {
  const pool = createPool({ workerThreads: 2 });
  const env = makeImportEnv(pool);
  cleanup.push(() => env.close());
  const csv = join(env.dir, "big.csv");
  cleanup.push(() => rmSync(csv, { force: true }));
  await generateCsv(csv, { rows: 200_000 });
  const list = createList(env.deps, "co1", "big");
  const rec = createImport(env.deps, "co1", list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false }, {}, false);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    let closing: Promise<void> | undefined;
    // Close the pool as soon as the first batch is committed: later commits and parses are cut off.
    const run = runImport(env.deps, "co1", rec.id, () => void (closing ??= pool.destroy()));
    const outcome = await run.then(() => "finished", (e: unknown) => String(e));
    await closing;
    await new Promise((r) => setImmediate(r)); // a stray rejection is reported by the end of this turn
    expect(outcome).toMatch(/Terminat/i);
    expect(unhandled.map(String)).toEqual([]);
    const stored = env.storage.db("imports").get(["co1", rec.id]) as { status: string; rows: number };
    expect(stored.status).toBe("running"); // resumable: the job runs it again
    expect(stored.rows).toBeGreaterThan(0);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});
