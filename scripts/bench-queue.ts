/**
 * Queue benchmark (not a test): N no-op jobs enqueued durably in bulk, then processed durably,
 * through Pombo's LMDB queue and — when `redis-server` is on PATH — through BullMQ on a local
 * Redis with AOF (appendfsync everysec), in the same run. Prints jobs/s, peak RSS and ratios.
 * Usage: bun run bench:queue [-- --n 1000000 --bull-n 200000]
 */
import { argNumber } from "./bench-args.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.ts";
import { createLogger } from "../src/log.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { Runner } from "../src/queue/runner.ts";
import { openStorage } from "../src/storage/db.ts";
import { runBullmq, sampleRss, type BenchResult } from "./bench-queue-bullmq.ts";

const BATCH = 10_000;
const CONCURRENCY = 100;

const arg = argNumber;

async function runPombo(n: number): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "pombo-bench-"));
  const storage = openStorage(dir);
  const log = createLogger("warn");
  const queue = new JobQueue({ storage, clock: systemClock, queues: [{ name: "default", concurrency: CONCURRENCY, priority: 1 }], log });
  const runner = new Runner({ queue, clock: systemClock, log });
  const stopRss = sampleRss();
  let t0 = performance.now();
  const inFlight: Promise<string[]>[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const specs = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) specs.push({ name: "bench.noop", data: { i: j } });
    inFlight.push(queue.enqueueMany(specs));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const enqueueMs = performance.now() - t0;

  let done = 0;
  const all = Promise.withResolvers<void>();
  runner.register("bench.noop", async () => {
    if (++done === n) all.resolve();
  });
  t0 = performance.now();
  runner.start();
  await all.promise;
  await runner.stop(); // waits for the last acknowledgements to commit
  const processMs = performance.now() - t0;
  const left = queue.stats()[0]!;
  if (left.depth !== 0 || left.completed !== n) throw new Error(`queue not drained: ${JSON.stringify(left)}`);
  const peakRssMb = stopRss();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  return { n, enqueuePerSec: Math.round((n / enqueueMs) * 1000), processPerSec: Math.round((n / processMs) * 1000), peakRssMb };
}

function print(label: string, r: BenchResult): void {
  console.log(`${label}: N=${r.n}  enqueue ${r.enqueuePerSec.toLocaleString("en")} jobs/s  process ${r.processPerSec.toLocaleString("en")} jobs/s  peak RSS ${r.peakRssMb} MB`);
}

const n = arg("n", 1_000_000);
const pombo = await runPombo(n);
print("pombo ", pombo);
const bull = await runBullmq(arg("bull-n", 200_000), BATCH, CONCURRENCY);
if (bull) {
  print("bullmq", bull);
  const ratio = (a: number, b: number) => (a / b).toFixed(1);
  console.log(`ratio pombo/bullmq: enqueue ${ratio(pombo.enqueuePerSec, bull.enqueuePerSec)}x  process ${ratio(pombo.processPerSec, bull.processPerSec)}x`);
}
