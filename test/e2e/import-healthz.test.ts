import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { runImport } from "../../src/services/import-run.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { getImport } from "../../src/storage/imports.ts";
import { createPool } from "../../src/workers/pool.ts";
import { makeTestApp } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const pool = createPool({ workerThreads: 2 });
afterAll(async () => await pool.destroy());

test("/healthz answers quickly while a big import runs", async () => {
  const t = makeTestApp({ overrides: { pool } });
  try {
    // No geo table in this app's LMDB: look-ups miss, which is fine for measuring the event loop.
    const csv = join(t.dir, "big.csv");
    await generateCsv(csv, { rows: 100_000 });
    const list = createList(t.deps, "co1", "big");
    const rec = createImport(t.deps, "co1", list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false }, {}, false);
    const running = runImport(t.deps, "co1", rec.id);
    const latencies: number[] = [];
    let duringImport = 0;
    while (true) {
      const status = getImport(t.deps.storage, "co1", rec.id)!.status;
      if (status === "done") break;
      const started = performance.now();
      const res = await t.app.handle(new Request("http://pombo.test/healthz"));
      latencies.push(performance.now() - started);
      expect(res.status).toBe(200);
      if (status === "running") duringImport++;
      await new Promise((r) => setTimeout(r, 5));
    }
    await running;
    expect(duringImport).toBeGreaterThan(5);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(250);
  } finally {
    await t.close();
  }
}, 60_000);
