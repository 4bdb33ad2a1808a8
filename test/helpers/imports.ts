/**
 * Real LMDB with the geo table built (once per test process, then copied per test), a real worker pool,
 * and helpers to run an import of a file end to end through the services.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import { buildGeoTable } from "../../src/services/geo-table.ts";
import { runImport } from "../../src/services/import-run.ts";
import { createImport, type ImportOptions } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { openStorage, type Storage } from "../../src/storage/db.ts";
import type { CommitTask, MergeTask } from "../../src/services/import-commit.ts";
import { contactKeyPrefix } from "../../src/storage/contacts.ts";
import { putImportSync, type ImportRecord } from "../../src/storage/imports.ts";
import type { ChunkResult, ChunkTask } from "../../src/workers/import-chunk.ts";
import { createPool, type WorkerPool } from "../../src/workers/pool.ts";

let template: string | undefined;

/** A data dir whose LMDB already holds the geo table (built once per process). */
export function geoDataDir(): string {
  if (!template) {
    template = mkdtempSync(join(tmpdir(), "pombo-geo-template-"));
    const s = openStorage(template);
    buildGeoTable(s);
    s.env.close();
  }
  const dir = mkdtempSync(join(tmpdir(), "pombo-import-test-"));
  mkdirSync(join(dir, "db"), { recursive: true });
  copyFileSync(join(template, "db", "data.mdb"), join(dir, "db", "data.mdb"));
  return dir;
}

export interface ImportEnv {
  dir: string;
  storage: Storage;
  deps: any;
  /** Creates a list and imports `path` into it; returns the finished record. */
  importFile(path: string, opts?: ImportOptions, companyId?: string): Promise<ImportRecord & { listId: string }>;
  close(): Promise<void>;
}

/** Opens a fresh import environment on a shared pool. */
export function makeImportEnv(pool: WorkerPool, opts: { workerThreads?: number } = {}): ImportEnv {
  const dir = geoDataDir();
  const storage = openStorage(dir);
  const deps = { storage, pool, clock: new FakeClock(), log: createLogger("silent"), config: { dataDir: dir, workerThreads: opts.workerThreads ?? 2 } };
  return {
    dir,
    storage,
    deps,
    async importFile(path, o = {}, companyId = "co1") {
      const list = createList(deps, companyId, "test");
      const rec = createImport(deps as never, companyId, list.id, { path, bytes: statSync(path).size, ownsFile: false }, o, false);
      return (await runImport(deps as never, companyId, rec.id))! as ImportRecord & { listId: string };
    },
    async close() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The shared worker pool for a test file (two threads, kept alive). */
export function testPool(): WorkerPool {
  return createPool({ workerThreads: 2 });
}

/**
 * Registers an import test file's lifecycle (call at the top level): one worker pool and the geo table before all
 * tests, each test's environment closed after it, the pool and the `files` scratch dir removed at the end.
 * `fresh()` opens the current test's environment.
 */
export function importSuite(prefix: string): { files: string; fresh(opts?: { workerThreads?: number }): ImportEnv } {
  let pool: WorkerPool;
  let env: ImportEnv | undefined;
  const files = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(() => {
    pool = testPool();
    geoDataDir();
  }, 60_000);
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });
  afterAll(async () => {
    await pool.destroy();
    rmSync(files, { recursive: true, force: true });
  });
  return { files, fresh: (opts) => (env = makeImportEnv(pool, opts)) };
}

/**
 * The pool's tasks for one import, run by hand: `csv` (a `phone,…` header and rows) written under `env.dir`, an
 * import of it whose checkpoint sits after the header, the `importChunk` task for the rest of the file, the
 * `commitChunk` task for a parsed result (as the file's last chunk: it writes the run) and a `mergeBatch` task.
 */
export function importTasks(env: ImportEnv, csv: string) {
  const path = join(env.dir, `c-${crypto.randomUUID()}.csv`);
  writeFileSync(path, csv);
  const list = createList(env.deps, "co1", "l");
  const rec = createImport(env.deps, "co1", list.id, { path, bytes: statSync(path).size, ownsFile: false }, {}, false);
  const start = csv.indexOf("\n") + 1;
  const fields = csv.slice(0, start - 1).split(",");
  env.storage.env.transactionSync(() => putImportSync(env.storage, { ...rec, status: "running", bytesTotal: csv.length, checkpoint: { offset: start, line: 1, sequential: false } }));
  const chunk: ChunkTask = {
    path, start, end: csv.length, fileSize: csv.length, sequential: false, delimiter: ",", fields, phoneIndex: fields.indexOf("phone"),
    defaultCountry: "US", dataDir: env.dir, keyPrefix: contactKeyPrefix("co1", list.id),
  };
  const commit = (result: ChunkResult): CommitTask => ({ dataDir: env.dir, run: "r1", companyId: "co1", importId: rec.id, result, sequential: false, final: true, runRows: 250_000 });
  const merge: MergeTask = { dataDir: env.dir, run: "r1", companyId: "co1", importId: rec.id, maxRows: 10_000 };
  return { chunk, commit, merge, listId: list.id };
}

/** This process's threads by id with their nice value (Linux: nice is per thread), e.g. to find the pool's. */
export function threadNices(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value (after the parenthesised name).
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}
