import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Merge, phoneOf, RunReader, runPath, writeRun, type Cursor } from "../../src/services/import-runs.ts";
import type { ContactRows } from "../../src/workers/contact-batch.ts";

const dir = mkdtempSync(join(tmpdir(), "pombo-runs-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PREFIX = new Uint8Array([1, 2, 3]);

/** A chunk's ContactRows from sorted [phone, value] pairs (keys = PREFIX + phone). */
function rows(pairs: [string, string][]): ContactRows {
  const enc = new TextEncoder();
  const keys: number[] = [];
  const values: number[] = [];
  const keyEnds = new Uint32Array(pairs.length);
  const valueEnds = new Uint32Array(pairs.length);
  pairs.forEach(([p, v], i) => {
    keys.push(...PREFIX, ...enc.encode(p));
    keyEnds[i] = keys.length;
    values.push(...enc.encode(v));
    valueEnds[i] = values.length;
  });
  return { keys: Uint8Array.from(keys), keyEnds, values: Uint8Array.from(values), valueEnds, repeats: [] };
}

const entry = (c: Cursor) => [phoneOf(c), new TextDecoder().decode(c.vbuf.subarray(c.value, c.value + c.valueLen))];

function readAll(cursors: Cursor[]): string[][] {
  const out: string[][] = [];
  const m = new Merge(cursors);
  for (let c = m.top; c; m.advance(), c = m.top) out.push(entry(c));
  return out;
}

test("a run holds its chunks' contacts merged in phone order, each phone once, the earliest chunk's row kept", () => {
  const chunks = [
    rows([["+1202", "a1"], ["+1303", "a2"], ["+44", "a3"]]),
    rows([["+1202", "b1"], ["+1250", "b2"]]),
    rows([["+1303", "c1"], ["+49", "c2"]]),
  ];
  const repeats = writeRun(dir, 0, chunks, PREFIX.length);
  expect(repeats.sort()).toEqual(["+1202", "+1303"]);
  expect(readAll([new RunReader(0, runPath(dir, 0), 0)])).toEqual([["+1202", "a1"], ["+1250", "b2"], ["+1303", "a2"], ["+44", "a3"], ["+49", "c2"]]);
});

test("a reader with a small buffer refills across frames and grows for a frame bigger than it; its offset resumes exactly", () => {
  const big = "x".repeat(5000);
  const pairs: [string, string][] = Array.from({ length: 300 }, (_, i) => [`+1${String(i).padStart(10, "0")}`, i === 150 ? big : `v${i}`]);
  writeRun(dir, 1, [rows(pairs)], PREFIX.length);
  const path = runPath(dir, 1);
  expect(readAll([new RunReader(0, path, 0, new Uint8Array(16))])).toEqual(pairs);
  // Stop after 200 entries, note the offset, and read the rest from it with a new reader.
  const r = new RunReader(0, path, 0, new Uint8Array(64));
  for (let i = 0; i < 200; i++) r.next();
  const at = r.offset;
  r.close();
  expect(at).toBeLessThan(statSync(path).size);
  const rest = new RunReader(0, path, at);
  expect(rest.next() && entry(rest)).toEqual(pairs[199]!);
  expect(readAll([new RunReader(0, path, at)])).toEqual(pairs.slice(199));
  // At the end of the file: nothing left.
  expect(new RunReader(0, path, statSync(path).size).next()).toBe(false);
});

test("runs merge in phone order; on equal phones the earlier run comes first", () => {
  writeRun(dir, 2, [rows([["+1", "r2-a"], ["+3", "r2-b"]])], PREFIX.length);
  writeRun(dir, 3, [rows([["+1", "r3-a"], ["+2", "r3-b"]])], PREFIX.length);
  const merged = readAll([new RunReader(1, runPath(dir, 3), 0), new RunReader(0, runPath(dir, 2), 0)]);
  expect(merged).toEqual([["+1", "r2-a"], ["+1", "r3-a"], ["+2", "r3-b"], ["+3", "r2-b"]]);
});

test("an empty run reads as nothing, and an empty merge has no top", () => {
  writeRun(dir, 4, [rows([])], PREFIX.length);
  expect(readAll([new RunReader(0, runPath(dir, 4), 0)])).toEqual([]);
  expect(new Merge([]).top).toBeUndefined();
});
