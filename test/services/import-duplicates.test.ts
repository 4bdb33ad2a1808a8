import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { generateCsv } from "../../scripts/gen-csv.ts";
import { settle } from "../helpers/settle.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

// Regression: through the queue runner (the server's path) a phone whose two rows fell in neighbouring
// chunks was stored twice: a second, binary-key handle on `contacts` missed keys in its lookups (its NO_OVERWRITE
// and doesExist alike) that the ordinary handle found. The writer now uses the ordinary handle only; this test
// failed 3 runs of 3 with NO_OVERWRITE on the binary-key handle alone.
test("an import run by the queue stores each phone once, even when its repeat is in the next chunk", async () => {
  sys = makeSystem({ WORKER_THREADS: "2" });
  const auth = await makeCompany(sys);
  const csv = join(sys.dir, "contacts.csv");
  const counts = await generateCsv(csv, { rows: 400_000 });
  const list = createList(sys.deps, auth.company.id, "big");
  const imp = createImport(sys.deps, auth.company.id, list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false });
  await settle(sys);
  const rec = sys.deps.storage.db("imports").get([auth.company.id, imp.id]) as { status: string; imported: number; duplicates: number; invalid: number };
  expect(rec).toMatchObject({ status: "done", imported: counts.valid, duplicates: counts.duplicates, invalid: counts.invalid });
  let prev = "";
  let doubled = 0;
  let stored = 0;
  for (const k of sys.deps.storage.db("contacts").getKeys()) {
    const key = JSON.stringify(k);
    if (key === prev) doubled++;
    prev = key;
    stored++;
  }
  expect({ stored, doubled }).toEqual({ stored: counts.valid, doubled: 0 });
}, 120_000);
