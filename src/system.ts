import { Cron } from "croner";
import { buildApp } from "./app.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import type { DriverHost } from "./drivers/driver.ts";
import { createDriverRegistry } from "./drivers/registry.ts";
import type { Logger } from "./log.ts";
import { registerHandlers } from "./queue/handlers.ts";
import { QUEUES } from "./queue/queues.ts";
import { JobQueue } from "./queue/queue.ts";
import { Runner } from "./queue/runner.ts";
import { tick, type TickOptions } from "./scheduler/tick.ts";
import { linkAllAccounts } from "./services/account-links.ts";
import { stopImportCommits } from "./services/import-commit.ts";
import { Throttle } from "./services/throttle.ts";
import { ingestWebhook } from "./services/webhooks-in.ts";
import { openStorage } from "./storage/db.ts";
import { migrate } from "./storage/migrate.ts";
import { createPool, type WorkerPool } from "./workers/pool.ts";

/** Everything the process runs, wired once: the same for `bun run start`, the e2e tests and the benches. */
export interface System {
  deps: Deps;
  runner: Runner;
  throttle: Throttle;
  app: ReturnType<typeof buildApp>;
  /** Runs the minute tick now (the cron calls this at the start of every minute). */
  tick(opts?: TickOptions): ReturnType<typeof tick>;
  /**
   * Starts the job runner, the minute cron (with one catch-up tick) and every account's standing provider link
   * (SMPP binds), which open in the background: an SMSC that is down never delays or fails start-up.
   */
  startBackground(opts?: TickOptions): void;
  /** Stops cron and runner (running jobs finish or return to the queue), drivers (SMPP sessions unbind), the pool, then LMDB. */
  close(): Promise<void>;
}

/** Opens storage and builds queue, drivers, worker pool, handlers and the HTTP app. */
export function createSystem(config: Config, clock: Clock, log: Logger, opts: { pool?: WorkerPool } = {}): System {
  const storage = openStorage(config.dataDir, { mappedBudgetBytes: config.mappedMemoryBytes, journalSyncMs: config.journalSyncMs, log });
  const schema = migrate(storage);
  if (schema.from !== schema.to) log.info("schema migrated", schema);
  const queue = new JobQueue({ storage, clock, queues: QUEUES, log });
  // A small turn budget: jobs start in slices, so HTTP requests get the event loop between them.
  const runner = new Runner({ queue, clock, log, turnBudget: 200 });
  let deps: Deps;
  const host: DriverHost = { clock, log, ingest: (driver, accountId, req) => ingestWebhook(deps, driver, accountId, req) };
  const drivers = createDriverRegistry(host);
  const pool = opts.pool ?? createPool(config);
  deps = { config, storage, clock, log, queue, pool, drivers };
  const throttle = new Throttle();
  registerHandlers(runner, deps, throttle);
  const app = buildApp(deps);
  let cron: Cron | undefined;
  let ticking: Promise<unknown> = Promise.resolve();
  const tickDefaults: TickOptions = { spreadMs: config.tickSpreadMs, completionWaitMs: config.completionWaitMs };
  const runTick = (o?: TickOptions) => {
    // One tick at a time: a slow minute never overlaps the next.
    const p = ticking.then(() => tick(deps, throttle, clock.now(), { ...tickDefaults, ...o }));
    ticking = p.catch((e) => log.error("tick failed", { error: String(e?.stack ?? e) }));
    return p;
  };
  return {
    deps, runner, throttle, app,
    tick: runTick,
    startBackground(o) {
      runner.start();
      linkAllAccounts(deps);
      cron = new Cron(config.tickCron ?? "0 * * * * *", () => void runTick(o).catch(() => {}));
      void runTick(o).catch(() => {});
    },
    async close() {
      cron?.stop();
      await ticking;
      await runner.stop();
      await drivers.close();
      // Reports a driver handed over while closing (the sandbox's timers, an SMSC's last deliver_sm) are in the
      // inbox: let their append and move finish before the environments close.
      await deps.queue.settled();
      // No import batch may be mid-transaction in a worker when the pool's threads end (import-commit.ts).
      await stopImportCommits(pool);
      await pool.close({ force: true }).catch(() => pool.destroy());
      await storage.close();
    },
  };
}
