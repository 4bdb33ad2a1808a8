import type { WorkerPool } from "./workers/pool.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { DriverRegistry } from "./drivers/registry.ts";
import type { Logger } from "./log.ts";
import type { JobQueue } from "./queue/queue.ts";
import type { Storage } from "./storage/db.ts";

/** Everything a service, route or handler may use; built once in main.ts (or a test) and passed down. */
export interface Deps {
  readonly config: Config;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: JobQueue;
  readonly pool: WorkerPool;
  readonly drivers: DriverRegistry;
}

/** Who is calling: resolved by the auth guard on every /api/v1 route. */
export interface AuthContext {
  user: { id: string; email: string; role: "owner" | "member" };
  company: { id: string; name: string };
}
