import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { DB_NAMES, DB_OPTIONS, type DbName } from "./keys.ts";
import type { Logger } from "../log.ts";
import { DEFAULT_JOURNAL_SYNC_MS, Journal } from "./journal.ts";
import { migrateLegacyInbox } from "./legacy-inbox.ts";
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

/** The main environment with the journal: what the process runs on. Most writes happen on the main thread. */
export interface Storage extends Store {
  /**
   * The inbox of accepted jobs (`dataDir/journal`, see journal.ts): jobs that must be durable fast whatever the
   * main environment is busy with land here first (JobQueue.accept), numbered, and move into the main queue
   * moments later. Opened at first use: only the process running the queue may use it (CLI commands never do).
   */
  readonly journal: Journal;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** Bounds the LMDB file pages kept mapped (0: no bound); see map-trimmer.ts. */
  mappedBudgetBytes?: number;
  /** The journal's `syncMs` (journal.ts): how soon an accepted job must also be on disk, 0 before it is acknowledged. */
  journalSyncMs?: number;
  log?: Logger;
}

/** Options of the main environment. */
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

/** Default budget for LMDB file pages mapped into the process (see map-trimmer.ts). */
export const DEFAULT_MAPPED_BUDGET_BYTES = 256 * 1024 ** 2;
/** How often the mapped-page budget is checked. */
const TRIM_CHECK_MS = 500;

/**
 * Opens (creating if needed) the LMDB environment under `dataDir/db` with every database in keys.ts; the journal
 * under `dataDir/journal` opens at first use.
 */
export function openStorage(dataDir: string, { mappedBudgetBytes = DEFAULT_MAPPED_BUDGET_BYTES, journalSyncMs = DEFAULT_JOURNAL_SYNC_MS, log }: StorageOptions = {}): Storage {
  const { env, path, db } = openStore(dataDir);
  const trimmer = createMapTrimmer([path], mappedBudgetBytes);
  const trimTimer = mappedBudgetBytes > 0 ? setInterval(() => trimmer.check(), TRIM_CHECK_MS) : undefined;
  trimTimer?.unref();
  let journal: Journal | undefined;
  return {
    env,
    path,
    db,
    get journal() {
      if (!journal) {
        journal = new Journal(join(dataDir, "journal"), { syncMs: journalSyncMs, log });
        migrateLegacyInbox(dataDir, journal, log);
      }
      return journal;
    },
    close: async () => {
      clearInterval(trimTimer);
      await journal?.close();
      await env.committed;
      await env.close();
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
