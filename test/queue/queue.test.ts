import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { PermanentJobError, RetryLaterError, type Job } from "../../src/queue/types.ts";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";
import { JobQueue } from "../../src/queue/queue.ts";
import { Runner } from "../../src/queue/runner.ts";
import { openStorage } from "../../src/storage/db.ts";
import { createLogger } from "../../src/log.ts";
import { openHarness, QUEUES, type QueueHarness } from "./harness.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let h: QueueHarness;
beforeEach(() => (h = openHarness()));
afterEach(() => h.close());

/** A promise the test resolves by hand: handlers wait on it instead of on time. */
function gate() {
  return Promise.withResolvers<void>();
}

test("serves queues in priority order, and each queue oldest job first", async () => {
  const order: string[] = [];
  const record = (job: Job<string>) => void order.push(job.data);
  h.runner.register("imp.run", record, { queue: "imports" });
  h.runner.register("hook.run", record, { queue: "webhooks" });
  h.runner.register("misc.run", record);
  await h.queue.enqueueMany([
    { name: "imp.run", data: "i1" }, { name: "imp.run", data: "i2" },
    { name: "misc.run", data: "d1" }, { name: "hook.run", data: "w1" }, { name: "hook.run", data: "w2" },
  ]);
  expect(await h.runner.runUntilEmpty()).toBe(5);
  expect(order).toEqual(["w1", "w2", "d1", "i1", "i2"]);
});

test("background work cannot take the slots of a higher-priority queue", async () => {
  const importBlocked = gate();
  const hookDone = gate();
  h.runner.register("imp.slow", () => importBlocked.promise, { queue: "imports" });
  h.runner.register("hook.fast", () => hookDone.resolve(), { queue: "webhooks" });
  await h.queue.enqueueMany(Array.from({ length: 5 }, () => ({ name: "imp.slow", data: null })));
  h.runner.start();
  await h.queue.enqueue({ name: "hook.fast", data: null });
  await hookDone.promise; // runs while every import slot is busy
  expect(h.queue.stats().find((s) => s.name === "imports")).toMatchObject({ running: 1, depth: 4 });
  importBlocked.resolve();
});

test("a delayed job does not run early and runs once the clock reaches its runAt", async () => {
  const ran: string[] = [];
  h.runner.register("t.run", (job: Job<string>) => void ran.push(job.data));
  const t0 = h.clock.now();
  await h.queue.enqueue({ name: "t.run", data: "late", runAt: t0 + 2_000 });
  await h.queue.enqueue({ name: "t.run", data: "soon", runAt: t0 + 1_000 });
  await h.queue.enqueue({ name: "t.run", data: "now" });
  await h.runner.runUntilEmpty();
  expect(ran).toEqual(["now"]);
  h.clock.advance(999);
  expect(await h.runner.runUntilEmpty()).toBe(0);
  h.clock.advance(1);
  await h.runner.runUntilEmpty();
  expect(ran).toEqual(["now", "soon"]);
  h.clock.advance(1_000);
  await h.runner.runUntilEmpty();
  expect(ran).toEqual(["now", "soon", "late"]);
});

test("never runs more handlers of a queue at once than its concurrency", async () => {
  let current = 0;
  let peak = 0;
  let done = 0;
  h.runner.register("c.run", async () => {
    peak = Math.max(peak, ++current);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    current--;
    done++;
  });
  await h.queue.enqueueMany(Array.from({ length: 12 }, () => ({ name: "c.run", data: null })));
  await h.runner.runUntilEmpty();
  expect(done).toBe(12);
  expect(peak).toBe(2); // "default" allows 2
});

test("a global concurrency limit is filled in priority order", async () => {
  const { Runner } = await import("../../src/queue/runner.ts");
  const runner = new Runner({ queue: h.queue, clock: h.clock, log: { debug() {}, info() {}, warn() {}, error() {} }, maxConcurrency: 1 });
  let current = 0;
  let peak = 0;
  const order: string[] = [];
  const handler = async (job: Job<string>) => {
    peak = Math.max(peak, ++current);
    order.push(job.data);
    await new Promise((r) => setImmediate(r));
    current--;
  };
  runner.register("g.imp", handler, { queue: "imports" });
  runner.register("g.hook", handler, { queue: "webhooks" });
  await h.queue.enqueueMany([{ name: "g.imp", data: "i" }, { name: "g.hook", data: "w1" }, { name: "g.hook", data: "w2" }]);
  await runner.runUntilEmpty();
  expect(peak).toBe(1);
  expect(order).toEqual(["w1", "w2", "i"]);
});

test("a failing job is retried with backoff, then dead-lettered with its last error", async () => {
  let runs = 0;
  h.runner.register("f.run", () => {
    runs++;
    throw new Error(`boom ${runs}`);
  });
  const id = await h.queue.enqueue({ name: "f.run", data: null, maxAttempts: 3 });
  const t0 = h.clock.now();
  await h.runner.runUntilEmpty();
  // jitter 0.5 with base 1 s: 750 ms, then 1,500 ms
  expect(h.queue.get(id)).toMatchObject({ state: "delayed", attempts: 1, runAt: t0 + 750, lastError: "Error: boom 1" });
  h.clock.advance(749);
  await h.runner.runUntilEmpty();
  expect(runs).toBe(1);
  h.clock.advance(1);
  await h.runner.runUntilEmpty();
  expect(h.queue.get(id)).toMatchObject({ state: "delayed", attempts: 2, runAt: t0 + 750 + 1_500 });
  h.clock.advance(1_500);
  await h.runner.runUntilEmpty();
  expect(runs).toBe(3);
  expect(h.queue.get(id)).toMatchObject({ state: "dead", attempts: 3, lastError: "Error: boom 3", deadAt: h.clock.now() });
  expect(h.queue.stats().find((s) => s.name === "default")).toMatchObject({ depth: 0, delayed: 0, failed: 1 });
});

test("RetryLaterError reschedules exactly after its delay", async () => {
  let runs = 0;
  h.runner.register("r.run", () => {
    if (++runs === 1) throw new RetryLaterError("throttled", 30_000);
  });
  const id = await h.queue.enqueue({ name: "r.run", data: null });
  await h.runner.runUntilEmpty();
  expect(h.queue.get(id)).toMatchObject({ state: "delayed", runAt: h.clock.now() + 30_000, lastError: "RetryLaterError: throttled" });
  h.clock.advance(29_999);
  await h.runner.runUntilEmpty();
  expect(runs).toBe(1);
  h.clock.advance(1);
  await h.runner.runUntilEmpty();
  expect(runs).toBe(2);
  expect(h.queue.get(id)).toBeUndefined();
});

test("RetryLaterError(0) runs the job again at once", async () => {
  let runs = 0;
  h.runner.register("r0.run", () => {
    if (++runs < 3) throw new RetryLaterError("again", 0);
  });
  await h.queue.enqueue({ name: "r0.run", data: null });
  await h.runner.runUntilEmpty();
  expect(runs).toBe(3);
});

test("PermanentJobError dead-letters at once; retryDead runs it again; discardDead deletes it", async () => {
  let fail = true;
  let runs = 0;
  h.runner.register("p.run", () => {
    runs++;
    if (fail) throw new PermanentJobError("bad number");
  });
  const a = await h.queue.enqueue({ name: "p.run", data: "a" });
  const b = await h.queue.enqueue({ name: "p.run", data: "b", key: "k-b" });
  await h.runner.runUntilEmpty();
  expect(runs).toBe(2);
  const page = h.queue.listDead("default", { limit: 1 });
  expect(page.items.map((j) => j.id)).toEqual([a]);
  expect(page.items[0]).toMatchObject({ attempts: 1, lastError: "PermanentJobError: bad number" });
  expect(h.queue.listDead("default", { cursor: page.next }).items.map((j) => j.id)).toEqual([b]);
  fail = false;
  expect(await h.queue.retryDead(a)).toBe(true);
  expect(h.queue.get(a)).toMatchObject({ state: "ready", attempts: 0 });
  await h.runner.runUntilEmpty();
  expect(runs).toBe(3);
  expect(h.queue.get(a)).toBeUndefined();
  expect(await h.queue.discardDead(b)).toBe(true);
  expect(await h.queue.discardDead(b)).toBe(false);
  expect(await h.queue.retryDead(b)).toBe(false);
  expect(h.queue.get(b)).toBeUndefined();
  expect(await h.queue.enqueue({ name: "p.run", data: "b2", key: "k-b" })).not.toBe(b); // the key was freed
  expect(h.queue.stats().find((s) => s.name === "default")).toMatchObject({ failed: 0, depth: 1 });
});

test("an unknown job name goes to the dead letters with a clear error and the runner goes on", async () => {
  let ran = false;
  h.runner.register("known.run", () => void (ran = true));
  const id = await h.queue.enqueue({ name: "nobody.home", data: null });
  await h.queue.enqueue({ name: "known.run", data: null });
  await h.runner.runUntilEmpty();
  expect(ran).toBe(true);
  expect(h.queue.get(id)?.lastError).toContain('unknown job name "nobody.home"');
  expect(h.queue.get(id)?.state).toBe("dead");
});

test("a handler throwing a non-Error or rejecting never crashes the runner", async () => {
  h.runner.register("x.throw", () => {
    throw "a string";
  });
  h.runner.register("x.reject", () => Promise.reject(undefined));
  const a = await h.queue.enqueue({ name: "x.throw", data: null });
  const b = await h.queue.enqueue({ name: "x.reject", data: null });
  await h.runner.runUntilEmpty();
  expect(h.queue.get(a)).toMatchObject({ state: "delayed", lastError: "a string" });
  expect(h.queue.get(b)).toMatchObject({ state: "delayed", attempts: 1 });
});

test("an idempotency key gives one job while the first is not completed", async () => {
  let runs = 0;
  h.runner.register("i.run", () => void runs++);
  const a = await h.queue.enqueue({ name: "i.run", data: 1, key: "send:m1" });
  expect(await h.queue.enqueue({ name: "i.run", data: 2, key: "send:m1" })).toBe(a);
  const many = await h.queue.enqueueMany([{ name: "i.run", data: 3, key: "send:m2" }, { name: "i.run", data: 4, key: "send:m2" }]);
  expect(many[0]).toBe(many[1]!);
  expect(h.queue.stats().find((s) => s.name === "default")!.depth).toBe(2);
  await h.runner.runUntilEmpty();
  expect(runs).toBe(2);
  const again = await h.queue.enqueue({ name: "i.run", data: 5, key: "send:m1" });
  expect(again).not.toBe(a);
});

test("stats count ready, delayed, running, failed and completions per minute", async () => {
  const hold = gate();
  const twoRunning = gate();
  let started = 0;
  h.runner.register("s.run", () => {
    if (++started === 2) twoRunning.resolve();
    return hold.promise;
  });
  await h.queue.enqueueMany([
    ...Array.from({ length: 3 }, () => ({ name: "s.run", data: null })),
    ...Array.from({ length: 2 }, () => ({ name: "s.run", data: null, runAt: h.clock.now() + 60_000 })),
  ]);
  const stat = () => h.queue.stats().find((s) => s.name === "default")!;
  expect(stat()).toMatchObject({ depth: 3, delayed: 2, running: 0, failed: 0, perMinute: 0 });
  const run = h.runner.runUntilEmpty();
  await twoRunning.promise;
  expect(stat()).toMatchObject({ depth: 1, running: 2 });
  hold.resolve();
  await run;
  expect(stat()).toMatchObject({ depth: 0, delayed: 2, running: 0, perMinute: 3, completed: 3 });
  h.clock.advance(60_000);
  expect(stat()).toMatchObject({ perMinute: 0, delayed: 2 });
  await h.runner.runUntilEmpty();
  expect(stat()).toMatchObject({ delayed: 0, depth: 0, perMinute: 2, completed: 5 });
  expect(h.queue.stats().map((s) => s.name)).toEqual(["webhooks", "default", "imports"]);
});

test("enqueueSync inside a caller's transaction commits with its record, or not at all", async () => {
  const meta = h.storage.db("meta");
  let runs = 0;
  h.runner.register("tx.run", () => void runs++);
  const id = h.storage.env.transactionSync(() => {
    meta.putSync("record-1", { v: 1 });
    return h.queue.enqueueSync({ name: "tx.run", data: "record-1" });
  });
  expect(meta.get("record-1")).toEqual({ v: 1 });
  expect(h.queue.get(id)?.state).toBe("ready");
  let failedId = "";
  expect(() =>
    h.storage.env.transactionSync(() => {
      meta.putSync("record-2", { v: 1 });
      failedId = h.queue.enqueueSync({ name: "tx.run", data: "record-2" });
      throw new Error("validation failed after the enqueue");
    }),
  ).toThrow("validation failed");
  expect(meta.get("record-2")).toBeUndefined();
  expect(h.queue.get(failedId)).toBeUndefined();
  expect(h.queue.stats().find((s) => s.name === "default")!.depth).toBe(1);
  await h.runner.runUntilEmpty();
  expect(runs).toBe(1);
});

/** Starts the runner with a handler for `name` that records each job's data; `arm()` is the next run after the call. */
function recordingRunner(name: string) {
  const seen: string[] = [];
  let ran = gate();
  h.runner.register(name, (job: Job<string>) => {
    seen.push(job.data);
    ran.resolve();
  });
  h.runner.start();
  return { seen, arm: () => (ran = gate()).promise };
}

test("a started runner wakes on enqueueSync and on enqueue, with no polling", async () => {
  const { seen, arm } = recordingRunner("w.run");
  let ran = arm();
  h.storage.env.transactionSync(() => h.queue.enqueueSync({ name: "w.run", data: "sync" }));
  await ran;
  ran = arm();
  await h.queue.enqueue({ name: "w.run", data: "async" });
  await ran;
  ran = arm();
  await h.queue.enqueue({ name: "w.run", data: "due", runAt: h.clock.now() + 5_000 });
  h.clock.advance(5_000);
  await h.queue.enqueue({ name: "w.run", data: "wake" }); // any wake after the clock moved promotes due jobs
  await ran;
  while (seen.length < 4) await arm();
  expect(seen.sort()).toEqual(["async", "due", "sync", "wake"]);
});

test("a started runner sets its timer for the next delayed job after a pump, with no other wake-up", async () => {
  const { seen, arm } = recordingRunner("t.run");
  const now = h.clock.now();
  let ran = arm();
  // One job due now (its commit wakes a pump, not the timer), one due 20 ms later: nothing else will wake the runner.
  await h.queue.enqueueMany([{ name: "t.run", data: "now", runAt: now }, { name: "t.run", data: "later", runAt: now + 20 }]);
  await ran;
  await h.queue.settled(); // its ack committed, and the wake that follows it …
  await new Promise((r) => setImmediate(r)); // … pumped, before the clock moves
  ran = arm();
  h.clock.advance(20);
  const failAfter = new Promise((_, reject) => setTimeout(() => reject(new Error(`"later" never ran: ${seen}`)), 5_000));
  await Promise.race([ran, failAfter]);
  expect(seen).toEqual(["now", "later"]);
});

test("runUntilEmpty runs jobs that handlers enqueue, and honours maxJobs", async () => {
  const seen: number[] = [];
  h.runner.register("chain.run", async (job: Job<number>) => {
    seen.push(job.data);
    if (job.data < 3) await h.queue.enqueue({ name: "chain.run", data: job.data + 1 });
  });
  await h.queue.enqueue({ name: "chain.run", data: 1 });
  expect(await h.runner.runUntilEmpty()).toBe(3);
  expect(seen).toEqual([1, 2, 3]);
  await h.queue.enqueueMany(Array.from({ length: 5 }, () => ({ name: "chain.run", data: 9 })));
  expect(await h.runner.runUntilEmpty({ maxJobs: 2 })).toBe(2);
  expect(h.queue.stats().find((s) => s.name === "default")!.depth).toBe(3);
});

test("after a restart every job that was not acknowledged is handed out again", async () => {
  const never = gate();
  const running = gate();
  h.runner.register("lost.run", () => {
    running.resolve();
    return never.promise;
  });
  const id = await h.queue.enqueue({ name: "lost.run", data: null });
  void h.runner.runUntilEmpty(); // never finishes: the handler hangs, as in a process killed mid-job
  await running.promise;
  expect(h.queue.get(id)?.state).toBe("running");
  h.restart(); // the old runner's lease was only in memory
  let ran = 0;
  h.runner.register("lost.run", () => void ran++);
  expect(h.queue.get(id)?.state).toBe("ready");
  await h.runner.runUntilEmpty();
  expect(ran).toBe(1);
  expect(h.queue.get(id)).toBeUndefined();
  const next = await h.queue.enqueue({ name: "lost.run", data: null });
  expect(Number(next)).toBeGreaterThan(Number(id)); // ids are never reused
});

test("stop() waits for running handlers and leaves unfinished jobs in the queue", async () => {
  const slow = gate();
  let finished = 0;
  h.runner.register("st.run", async () => {
    await slow.promise;
    finished++;
  });
  const [a, b] = await h.queue.enqueueMany([{ name: "st.run", data: null }, { name: "st.run", data: null }]);
  h.runner.start();
  while (h.queue.stats().find((s) => s.name === "default")!.running < 2) await new Promise((r) => setImmediate(r));
  const stopped = h.runner.stop({ timeoutMs: 60_000 });
  slow.resolve();
  await stopped;
  expect(finished).toBe(2);
  expect(h.queue.get(a!)).toBeUndefined();
  expect(h.queue.get(b!)).toBeUndefined();
  await h.queue.enqueue({ name: "st.run", data: null });
  expect(h.queue.stats().find((s) => s.name === "default")!.depth).toBe(1); // stopped: nothing takes it
});

test("rejects specs for unknown queues and bad attempts before writing anything", async () => {
  await expect(h.queue.enqueueMany([{ name: "ok.run", data: 1 }, { name: "x", data: 1, queue: "nope" }])).rejects.toThrow('unknown queue "nope"');
  expect(() => h.queue.enqueueSync({ name: "x", data: 1, maxAttempts: 0 })).toThrow("maxAttempts");
  expect(h.queue.stats().every((s) => s.depth === 0)).toBe(true);
});

test("accept: durable in the inbox once resolved, then moved into its queue once; idempotency keys hold", async () => {
  const seen: string[] = [];
  h.runner.register("hook.in", (job: Job<string>) => void seen.push(job.data), { queue: "webhooks" });
  await Promise.all([
    ...Array.from({ length: 50 }, (_, i) => h.queue.accept({ name: "hook.in", data: `w${i}` })),
    h.queue.accept({ name: "hook.in", data: "keyed", key: "k1" }),
    h.queue.accept({ name: "hook.in", data: "keyed again", key: "k1" }),
  ]);
  await h.queue.settled();
  expect(h.queue.stats().find((s) => s.name === "webhooks")!.depth).toBe(51);
  expect(h.queue.inboxDepth()).toBe(0);
  expect(h.storage.journal.after(0)).toEqual([]); // released once moved
  await expect(h.queue.accept({ name: "hook.in", data: null, maxAttempts: 0 })).rejects.toThrow();
  await expect(h.queue.accept({ name: "hook.in", data: null, queue: "nope" })).rejects.toThrow();
  expect(await h.runner.runUntilEmpty()).toBe(51);
  expect(seen.sort()).toEqual([...Array.from({ length: 50 }, (_, i) => `w${i}`), "keyed"].sort());
});

test("accept after a crash: records not moved are moved at start-up, records already moved are only released", async () => {
  const seen: string[] = [];
  const register = () => h.runner.register("hook.in", (job: Job<string>) => void seen.push(job.data), { queue: "webhooks" });
  register();
  await h.queue.accept({ name: "hook.in", data: "first" });
  await h.queue.settled();
  // As a crash would leave them: record 2 moved (the mark says so) but not released, records 3 and 4 never moved.
  const journal = h.storage.journal;
  journal.append(2, [["hook.in", "webhooks", "first again", 5, null, null]], 1);
  journal.append(3, [["hook.in", "webhooks", "second", 5, null, null]], 1);
  journal.append(4, [["hook.in", "webhooks", "third", 5, null, null]], 1);
  h.storage.db("queueStats").putSync(["", "inboxMark"], 2);
  h.restart();
  register();
  expect(h.queue.inboxDepth()).toBe(2);
  await h.queue.settled();
  expect(journal.after(0)).toEqual([]);
  expect(await h.runner.runUntilEmpty()).toBe(3); // "first" (queued before the restart), "second", "third"
  expect(seen.sort()).toEqual(["first", "second", "third"]);
  // Numbering goes on after the highest one seen, never reusing a moved one.
  await h.queue.accept({ name: "hook.in", data: "fourth" });
  expect(journal.last()).toBe(5);
  await h.queue.settled();
  expect(await h.runner.runUntilEmpty()).toBe(1);
  expect(seen).toContain("fourth");
});

test("absorb: moved jobs are applied in the move's transaction; what the absorber returns is queued instead", async () => {
  const seen: string[] = [];
  h.runner.register("hook.in", (job: Job<string>) => void seen.push(job.data), { queue: "webhooks" });
  const applied = h.storage.db("meta");
  h.queue.absorb("hook.in", (data) => {
    const later = (data as string[]).filter((d) => d.startsWith("later"));
    for (const d of data as string[]) if (!d.startsWith("later")) applied.putSync(["absorbed", d], true);
    return later.map((d) => ({ name: "hook.in", data: d, queue: "webhooks" }));
  });
  await Promise.all([
    ...Array.from({ length: 30 }, (_, i) => h.queue.accept({ name: "hook.in", data: `w${i}` })),
    h.queue.accept({ name: "hook.in", data: "later-1" }),
    h.queue.accept({ name: "hook.in", data: "due later", runAt: h.clock.now() + 1_000 }), // delayed: never absorbed
  ]);
  await h.queue.settled();
  expect([...applied.getKeys({ start: ["absorbed"], end: ["absorbed", "\uffff"] })].length).toBe(30);
  expect(applied.get(["absorbed", "due later"])).toBeUndefined();
  expect(h.queue.inboxDepth()).toBe(0);
  h.clock.advance(1_000);
  expect(await h.runner.runUntilEmpty()).toBe(2);
  expect(seen.sort()).toEqual(["due later", "later-1"]);
});

test("absorb: an absorber that throws is rolled back and the batch is queued as jobs, none lost or doubled", async () => {
  const seen: string[] = [];
  h.runner.register("hook.in", (job: Job<string>) => void seen.push(job.data), { queue: "webhooks" });
  const meta = h.storage.db("meta");
  h.queue.absorb("hook.in", (data) => {
    meta.putSync(["absorbed", "partial"], true);
    if ((data as string[]).includes("poison")) throw new Error("cannot apply");
    return [];
  });
  await Promise.all(["a", "poison", "b"].map((d) => h.queue.accept({ name: "hook.in", data: d })));
  await h.queue.settled();
  expect(meta.get(["absorbed", "partial"])).toBeUndefined(); // the absorber's write was rolled back
  expect(await h.runner.runUntilEmpty()).toBe(3);
  expect(seen.sort()).toEqual(["a", "b", "poison"]);
});

test("accept: jobs accepted in one event-loop turn share one inbox record; each still moves once", async () => {
  const seen: string[] = [];
  h.runner.register("hook.in", (job: Job<string>) => void seen.push(job.data), { queue: "webhooks" });
  const turn = Array.from({ length: 20 }, (_, i) => h.queue.accept({ name: "hook.in", data: `t1-${i}` }));
  expect(h.queue.inboxDepth()).toBe(20); // counted as accepted before the record is written
  await Promise.all(turn);
  await Promise.all(Array.from({ length: 5 }, (_, i) => h.queue.accept({ name: "hook.in", data: `t2-${i}` })));
  await h.queue.settled();
  expect(h.queue.inboxDepth()).toBe(0);
  expect(h.queue.stats().find((s) => s.name === "webhooks")!.depth).toBe(25);
  expect(await h.runner.runUntilEmpty()).toBe(25);
  expect(seen.length).toBe(25);
  expect(new Set(seen).size).toBe(25);
});

test("accept: an inbox environment left by an earlier version is moved into the journal and its jobs queued once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pombo-legacy-inbox-"));
  try {
    // As earlier versions left it: one entry per record first, then records of a turn's entries.
    const legacy = open<unknown, number>({ path: join(dir, "inbox") });
    await legacy.put(1, ["hook.in", "webhooks", "single", 5, null, null]);
    await legacy.put(2, [["hook.in", "webhooks", "batch-a", 5, null, null], ["hook.in", "webhooks", "batch-b", 5, null, null]]);
    await legacy.close();
    const storage = openStorage(dir);
    const queue = new JobQueue({ storage, clock: h.clock, queues: QUEUES });
    const runner = new Runner({ queue, clock: h.clock, log: createLogger("silent") });
    const seen: string[] = [];
    runner.register("hook.in", (job: Job<string>) => void seen.push(job.data), { queue: "webhooks" });
    expect(existsSync(join(dir, "inbox"))).toBe(false);
    expect(queue.inboxDepth()).toBe(3);
    await queue.settled();
    expect(await runner.runUntilEmpty()).toBe(3);
    expect(seen.sort()).toEqual(["batch-a", "batch-b", "single"]);
    await queue.accept({ name: "hook.in", data: "next" });
    expect(storage.journal.last()).toBe(3); // numbering goes on after the old environment's
    await queue.settled();
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("absorb: records this process appended reach the absorber as accepted (not decoded back from the inbox)", async () => {
  const got: unknown[] = [];
  h.queue.absorb("hook.in", (data) => (got.push(...data), []));
  const payloads = Array.from({ length: 5 }, (_, i) => ({ n: i, body: `w${i}` }));
  await Promise.all(payloads.map((data) => h.queue.accept({ name: "hook.in", data })));
  await h.queue.settled();
  expect(got).toHaveLength(5);
  payloads.forEach((p, i) => expect(got[i]).toBe(p)); // the same objects: no decode on the move
  expect(h.storage.journal.after(0)).toEqual([]);
});
