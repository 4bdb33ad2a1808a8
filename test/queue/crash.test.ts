import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { JobQueue } from "../../src/queue/queue.ts";
import { openStorage } from "../../src/storage/db.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const N = 1_500;
const WORKER = join(import.meta.dir, "fixtures", "crash-worker.ts");

/** Runs the worker; with `killAfterProgress`, SIGKILLs it as soon as it reports progress. Returns its last lines. */
async function runWorker(dir: string, killAfterProgress: boolean): Promise<{ done: boolean; killed: boolean }> {
  const child = Bun.spawn([process.execPath, WORKER, dir, String(N)], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  let killed = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value);
    if (killAfterProgress && !killed && out.includes("progress")) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  await child.exited;
  return { done: out.includes("done"), killed: killed && child.signalCode === "SIGKILL" };
}

test("jobs survive kill -9 mid-run: every effect applied exactly once, nothing left queued", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pombo-crash-"));
  try {
    let kills = 0;
    let finished = false;
    for (let run = 0; run < 30 && !finished; run++) {
      const result = await runWorker(dir, run < 4);
      if (result.killed && !result.done) kills++;
      finished = result.done;
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(1);

    const storage = openStorage(dir);
    const meta = storage.db("meta");
    let runs = 0;
    for (let i = 0; i < N; i++) {
      expect(meta.get(`crash:effect:${i}`)).toBe(true);
      runs += meta.get(`crash:runs:${i}`) ?? 0;
    }
    expect(meta.get("crash:applied")).toBe(N); // exactly once
    expect(runs).toBeGreaterThanOrEqual(N); // at least once: killed runs may repeat
    const queue = new JobQueue({ storage, clock: new FakeClock(), queues: [{ name: "default", concurrency: 1, priority: 1 }] });
    expect(queue.stats()[0]).toMatchObject({ depth: 0, delayed: 0, failed: 0, completed: N });
    expect([...storage.db("jobsReady").getKeys()]).toEqual([]);
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
