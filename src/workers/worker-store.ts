import { openStore, type Store } from "../storage/db.ts";

let current: { dir: string; store: Store } | undefined;

/**
 * The main LMDB environment as this worker thread opens it, once per DATA_DIR (lmdb shares the environment
 * between the threads of a process): import workers read the geo table and commit their batches through it.
 */
export function workerStore(dataDir: string): Store {
  if (current?.dir !== dataDir) current = { dir: dataDir, store: openStore(dataDir) };
  return current.store;
}
