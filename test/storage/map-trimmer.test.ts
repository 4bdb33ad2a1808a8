/**
 * The mapped-page trimmer on a real LMDB environment: pages a read touched count in the process's file-backed
 * resident memory until trimmed; after a trim they are released, and every record still reads back intact.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage } from "../../src/storage/db.ts";
import { createMapTrimmer, mappedResidentBytes } from "../../src/storage/map-trimmer.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const dir = mkdtempSync(join(tmpdir(), "pombo-trim-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 ** 2;
const N = 24_000; // × 4 KiB values ≈ 94 MiB of pages

test("releases the LMDB pages mapped into the process, over budget only, and loses nothing", async () => {
  // The storage's own periodic trim is off here: this test drives the trimmer by hand.
  const s = openStorage(dir, { mappedBudgetBytes: 0 });
  try {
    const db = s.db("meta");
    const value = (i: number) => `${i}:`.padEnd(4000, String.fromCharCode(97 + (i % 26)));
    for (let i = 0; i < N; i += 2_000) await s.env.transaction(() => { for (let j = i; j < i + 2_000; j++) db.putSync(`k${j}`, value(j)); });
    const trimmer = createMapTrimmer([s.path], 1);
    trimmer.trim();
    const base = mappedResidentBytes();
    for (let i = 0; i < N; i++) db.get(`k${i}`); // touch every page through the map
    const touched = mappedResidentBytes();
    expect(touched - base).toBeGreaterThan(60 * MB);

    expect(createMapTrimmer([s.path], touched + 100 * MB).check()).toBe(0); // under budget: nothing released
    const released = trimmer.check();
    expect(released).toBeGreaterThan(60 * MB);
    expect(mappedResidentBytes()).toBeLessThan(touched - 60 * MB);

    for (let i = 0; i < N; i += 997) expect(db.get(`k${i}`)).toBe(value(i)); // read back through the map
    await s.env.transaction(() => db.putSync("k0", "after the trim"));
    expect(db.get("k0")).toBe("after the trim");
  } finally {
    await s.close();
  }
});
