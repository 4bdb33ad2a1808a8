import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal } from "../../src/storage/journal.ts";

let dir: string;
const opened: Journal[] = [];
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "pombo-journal-"))));
afterEach(async () => {
  for (const j of opened.splice(0)) await j.close();
  rmSync(dir, { recursive: true, force: true });
});

const openJournal = (o: Partial<ConstructorParameters<typeof Journal>[1]> = {}) => {
  const j = new Journal(dir, { syncMs: 50, ...o });
  opened.push(j);
  return j;
};
const segments = () => readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
const values = (j: Journal, after = 0) => j.after(after).map((r) => j.read(r));

test("records survive a reopen, in order, with their numbers and counts", async () => {
  const a = openJournal();
  a.append(1, ["one"], 1);
  a.append(5, [{ n: 2 }, { n: 3 }], 2);
  await a.close();
  const b = openJournal();
  expect(b.last()).toBe(5);
  expect(b.after(0).map((r) => [r.seq, r.count])).toEqual([[1, 1], [5, 2]]);
  expect(values(b)).toEqual([["one"], [{ n: 2 }, { n: 3 }]]);
  expect(values(b, 1)).toEqual([[{ n: 2 }, { n: 3 }]]);
  expect(() => b.append(5, ["again"], 1)).toThrow("does not follow");
  b.append(6, ["six"], 1);
  expect(b.last()).toBe(6);
});

test("a torn last record is cut off at open and appends go on after the intact ones", async () => {
  const a = openJournal();
  a.append(1, ["kept"], 1);
  a.append(2, ["torn by a crash mid-write"], 1);
  await a.close();
  const file = join(dir, segments()[0]!);
  truncateSync(file, statSync(file).size - 5);
  const b = openJournal();
  expect(b.after(0).map((r) => r.seq)).toEqual([1]);
  b.append(2, ["written again"], 1);
  await b.close();
  expect(values(openJournal())).toEqual([["kept"], ["written again"]]);
});

test("a damaged record ends its segment's records; the next segment is still read", async () => {
  const a = openJournal({ segmentBytes: 1 }); // every record starts a new segment
  a.append(1, ["a"], 1);
  a.append(2, ["b"], 1);
  a.append(3, ["c"], 1);
  await a.close();
  expect(segments()).toHaveLength(3);
  const first = join(dir, segments()[0]!);
  const bytes = readFileSync(first);
  bytes[bytes.length - 1] ^= 0xff; // a flipped payload byte: the CRC no longer matches
  writeFileSync(first, bytes);
  expect(values(openJournal())).toEqual([["b"], ["c"]]);
});

test("garbage after the last record (a partial header) is dropped", async () => {
  const a = openJournal();
  a.append(1, ["x"], 1);
  await a.close();
  appendFileSync(join(dir, segments()[0]!), Buffer.from([1, 2, 3]));
  const b = openJournal();
  expect(values(b)).toEqual([["x"]]);
  b.append(2, ["y"], 1);
  await b.close();
  expect(values(openJournal())).toEqual([["x"], ["y"]]);
});

test("released segments are deleted; the one being appended to starts over once released past 1 MiB", async () => {
  const j = openJournal({ segmentBytes: 50 });
  for (let seq = 1; seq <= 6; seq++) j.append(seq, ["r".repeat(60)], 1); // ~83 bytes a frame: one segment each
  expect(segments()).toHaveLength(6);
  j.release(4);
  expect(segments()).toHaveLength(2);
  expect(j.after(0).map((r) => r.seq)).toEqual([5, 6]);
  expect(values(j)).toEqual([["r".repeat(60)], ["r".repeat(60)]]);
  j.release(6);
  expect(segments()).toHaveLength(1); // the current one: small, kept for the next appends
  j.append(7, ["x".repeat(1024 ** 2)], 1); // starts a segment (the current one is over 50 bytes), then passes 1 MiB
  j.release(7);
  expect(segments()).toEqual([]);
  j.append(8, ["after"], 1);
  await j.close();
  const again = openJournal();
  expect(again.after(0).map((r) => r.seq)).toEqual([8]);
  expect(again.last()).toBe(8);
});

test("durability: with syncMs 0 an append's promise waits for fdatasync; otherwise it is settled at once", async () => {
  const strict = openJournal({ syncMs: 0 });
  let done = false;
  const { durable } = strict.append(1, ["a"], 1);
  void durable.then(() => (done = true));
  await Promise.resolve();
  expect(done).toBe(false); // the fdatasync runs on the thread pool: not before a later turn
  await durable;
  expect(done).toBe(true);
  await Promise.all([strict.append(2, ["b"], 1).durable, strict.append(3, ["c"], 1).durable, strict.flush()]);
  await strict.close();

  rmSync(dir, { recursive: true, force: true });
  const lazy = openJournal({ syncMs: 60_000 });
  let settled = false;
  void lazy.append(1, ["a"], 1).durable.then(() => (settled = true));
  await Promise.resolve();
  expect(settled).toBe(true);
  await lazy.close(); // flushes and clears its timer
  expect(values(openJournal())).toEqual([["a"]]);
});

test("a second process cannot open a journal that is open (it would cut a record being written)", async () => {
  openJournal();
  const child = Bun.spawn([process.execPath, "-e", `const { Journal } = await import(${JSON.stringify(join(import.meta.dir, "../../src/storage/journal.ts"))}); try { new Journal(${JSON.stringify(dir)}, { syncMs: 50 }); console.log("opened"); } catch (e) { console.log(String(e.message)); }`], { stdout: "pipe" });
  const out = await new Response(child.stdout).text();
  await child.exited;
  expect(out).toContain("in use by another Pombo process");
  await opened.pop()!.close();
  const again = Bun.spawn([process.execPath, "-e", `const { Journal } = await import(${JSON.stringify(join(import.meta.dir, "../../src/storage/journal.ts"))}); const j = new Journal(${JSON.stringify(dir)}, { syncMs: 50 }); console.log("opened"); await j.close();`], { stdout: "pipe" });
  expect(await new Response(again.stdout).text()).toContain("opened"); // closed: the lock is free again
  await again.exited;
});
