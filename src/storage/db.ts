import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { DB_NAMES, DB_OPTIONS, type DbName } from "./keys.ts";
import { createMapTrimmer } from "./map-trimmer.ts";

/**
 * The main LMDB environment with Pombo's named databases, as any thread opens it: the main thread (Storage) and
 * the import workers, which commit their own batches (workers/import-commit.ts).
 */
export interface Store {
  readonly env: RootDatabase;
  readonly path: string;
  db<V = any>(name: DbName): Database<V, any>;
}

/** The main environment with the inbox: what the process runs on. Most writes happen on the main thread. */
export interface Storage extends Store {
  /**
   * A second, small environment (`dataDir/inbox`, own writer thread and commits): jobs that must be durable
   * fast whatever the main environment is busy with land here first (JobQueue.accept), keyed by an increasing
   * number, and move into the main queue moments later. See keys.ts.
   */
  readonly inbox: RootDatabase<unknown, number>;
  close(): Promise<void>;
}

/** Options shared by both environments. */
const ENV_OPTIONS = {
  // Grows on demand; LMDB reserves address space only.
  mapSize: 64 * 1024 ** 3,
  // Commits survive kill -9 (the OS has the pages); `env.flushed` waits for the disk.
  noSync: false,
  compression: false,
  // Plain msgpack maps: records of many shapes (job data, webhook payloads) would otherwise exhaust the
  // shared record structures and carry an inline definition on every read (measured: ~14% of send CPU).
  // (A msgpackr option lmdb passes through to its encoder; its typings do not list it.)
  ...({ useRecords: false } as object),
};

/** lmdb write options of the inbox environment (lmdb reads them at open; its typings do not list them). */
const INBOX_WRITES = { eventTurnBatching: false, txnStartThreshold: 0 } as object;

/** Default budget for LMDB file pages mapped into the process (see map-trimmer.ts). */
export const DEFAULT_MAPPED_BUDGET_BYTES = 256 * 1024 ** 2;
/** How often the mapped-page budget is checked. */
const TRIM_CHECK_MS = 500;

/**
 * Opens (creating if needed) the LMDB environment under `dataDir/db` with every database in keys.ts, and the
 * inbox environment. `mappedBudgetBytes` bounds the file pages kept mapped (0: no bound).
 */
export function openStorage(dataDir: string, { mappedBudgetBytes = DEFAULT_MAPPED_BUDGET_BYTES } = {}): Storage {
  const { env, path, db } = openStore(dataDir);
  const inboxPath = join(dataDir, "inbox");
  mkdirSync(inboxPath, { recursive: true });
  // Each write starts at once (see queue/inbox.ts): no waiting for another event-loop turn (lmdb's event-turn
  // batching) before the writer thread begins; writes made while it commits still share its next commit.
  const inbox = open<unknown, number>({ path: inboxPath, ...ENV_OPTIONS, ...INBOX_WRITES });
  const trimmer = createMapTrimmer([path, inboxPath], mappedBudgetBytes);
  const trimTimer = mappedBudgetBytes > 0 ? setInterval(() => trimmer.check(), TRIM_CHECK_MS) : undefined;
  trimTimer?.unref();
  return {
    env,
    path,
    inbox,
    db,
    close: async () => {
      clearInterval(trimTimer);
      await Promise.all([env.committed, inbox.committed]);
      await Promise.all([env.close(), inbox.close()]);
    },
  };
}

/** Opens (creating if needed) the main environment under `dataDir/db` with every database in keys.ts. */
export function openStore(dataDir: string): Store {
  const path = join(dataDir, "db");
  mkdirSync(path, { recursive: true });
  const env = open({ path, maxDbs: 64, ...ENV_OPTIONS });
  // A plain object, not a Map: `db(name)` runs several times per message on the hot path.
  const dbs: Partial<Record<DbName, Database<any, any>>> = Object.create(null);
  for (const name of DB_NAMES) dbs[name] = env.openDB({ name, ...DB_OPTIONS[name] });
  return {
    env,
    path,
    db: (name) => {
      const d = dbs[name];
      if (!d) throw new Error(`unknown database ${name}: add it to storage/keys.ts`);
      return d;
    },
  };
}
