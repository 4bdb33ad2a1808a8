/** A queue and runner on real LMDB in a fresh temp dir, with a fake clock and fixed jitter. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import { JobQueue } from "../../src/queue/queue.ts";
import { Runner } from "../../src/queue/runner.ts";
import type { QueueConfig } from "../../src/queue/types.ts";
import { openStorage, type Storage } from "../../src/storage/db.ts";

export interface QueueHarness {
  storage: Storage;
  clock: FakeClock;
  queue: JobQueue;
  runner: Runner;
  /** Re-creates queue and runner on the same storage, as after a restart. */
  restart(): void;
  close(): Promise<void>;
}

export const QUEUES: QueueConfig[] = [
  { name: "webhooks", concurrency: 4, priority: 0 },
  { name: "default", concurrency: 2, priority: 1, backoff: { baseMs: 1_000, maxMs: 60_000 } },
  { name: "imports", concurrency: 1, priority: 9 },
];

/** Opens a fresh harness; `random` is the jitter source (0.5 → the midpoint of every backoff range). */
export function openHarness(queues: QueueConfig[] = QUEUES, random = () => 0.5): QueueHarness {
  const dir = mkdtempSync(join(tmpdir(), "pombo-queue-test-"));
  const storage = openStorage(dir);
  const clock = new FakeClock();
  const log = createLogger("silent");
  const h: QueueHarness = {
    storage,
    clock,
    queue: new JobQueue({ storage, clock, queues, log, random }),
    runner: undefined as unknown as Runner,
    restart() {
      h.queue = new JobQueue({ storage, clock, queues, log, random });
      h.runner = new Runner({ queue: h.queue, clock, log });
    },
    async close() {
      await h.runner.stop({ timeoutMs: 50 });
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  h.runner = new Runner({ queue: h.queue, clock, log });
  return h;
}
