/** The BullMQ peer for bench-queue.ts: a private redis-server with AOF on a free loopback port. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One side's figures. */
export interface BenchResult {
  n: number;
  enqueuePerSec: number;
  processPerSec: number;
  peakRssMb: number;
}

/**
 * Samples RSS every 250 ms until stopped; returns the peak in MB. (Reading RSS costs ~0.5 ms in Bun: at
 * 20 ms intervals the sampler alone took 2% of the CPU it was measuring.)
 */
export function sampleRss(): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 250);
  return () => {
    clearInterval(timer);
    return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024);
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir,
    "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction"], { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let seen = "";
  while (!seen.includes("Ready to accept connections")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`redis-server exited: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void proc.stdout.pipeTo(new WritableStream());
  return { port, stop: async () => { proc.kill(); await proc.exited; } };
}

/** Runs the workload through BullMQ; undefined (with a line saying so) when redis-server is missing. */
export async function runBullmq(n: number, batch: number, concurrency: number): Promise<BenchResult | undefined> {
  if (!Bun.which("redis-server")) {
    console.log("bullmq: skipped — redis-server is not on PATH (apt-get install -y redis-server to compare)");
    return undefined;
  }
  const { Queue, Worker } = await import("bullmq");
  const dir = mkdtempSync(join(tmpdir(), "pombo-bench-redis-"));
  const redis = await startRedis(dir);
  const connection = { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null };
  const stopRss = sampleRss();
  const queue = new Queue("bench", { connection });
  let t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const jobs = [];
    for (let j = i; j < Math.min(n, i + batch); j++) jobs.push({ name: "bench.noop", data: { i: j }, opts: { removeOnComplete: true } });
    await queue.addBulk(jobs);
  }
  const enqueueMs = performance.now() - t0;
  let done = 0;
  const all = Promise.withResolvers<void>();
  t0 = performance.now();
  const worker = new Worker("bench", async () => {
    if (++done === n) all.resolve();
  }, { connection, concurrency });
  await all.promise;
  await worker.close(); // waits for the last completions to reach Redis
  const processMs = performance.now() - t0;
  const peakRssMb = stopRss();
  await queue.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
  return { n, enqueuePerSec: Math.round((n / enqueueMs) * 1000), processPerSec: Math.round((n / processMs) * 1000), peakRssMb };
}
