import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../../src/storage/db.ts";
import { migrate, SCHEMA_VERSION, type Migration } from "../../src/storage/migrate.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let s: Storage;
let dir: string;
afterEach(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});
const open = () => (s = openStorage((dir = mkdtempSync(join(tmpdir(), "pombo-mig-")))));

test("a fresh data dir is brought to the current version, and a second run does nothing", () => {
  open();
  expect(migrate(s)).toEqual({ from: 0, to: SCHEMA_VERSION });
  expect(migrate(s)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
});

test("migrations run in order, once each, with their version", () => {
  open();
  const ran: number[] = [];
  const steps: Migration[] = [1, 2, 3].map((version) => ({ version, description: `v${version}`, up: (st) => (ran.push(version), st.db("meta").putSync(`m${version}`, true)) }));
  migrate(s, steps.slice(0, 2));
  migrate(s, steps);
  expect(ran).toEqual([1, 2, 3]);
  expect(s.db("meta").get("m3")).toBe(true);
});

test("data newer than the code refuses to start, naming both versions", () => {
  open();
  s.db("meta").putSync("schemaVersion", SCHEMA_VERSION + 5);
  expect(() => migrate(s)).toThrow(/schema version \d+, newer than this Pombo/);
});
