import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../../src/storage/db.ts";
import { getSuppression, isSuppressed, listSuppressions, putSuppressionSync, removeSuppressionSync } from "../../src/storage/suppressions.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let dir: string;
let s: Storage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pombo-supp-"));
  s = openStorage(dir);
});
afterEach(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a suppression is per company and can be lifted", () => {
  s.env.transactionSync(() => putSuppressionSync(s, "c1", "+15550001111", { reason: "stop_word", at: 5 }));
  expect(isSuppressed(s, "c1", "+15550001111")).toBe(true);
  expect(isSuppressed(s, "c2", "+15550001111")).toBe(false);
  expect(getSuppression(s, "c1", "+15550001111")).toMatchObject({ reason: "stop_word", at: 5 });
  expect(s.env.transactionSync(() => removeSuppressionSync(s, "c1", "+15550001111"))).toBe(true);
  expect(isSuppressed(s, "c1", "+15550001111")).toBe(false);
});

test("lists by prefix in pages that resume from the cursor", () => {
  s.env.transactionSync(() => {
    for (const p of ["+15550000001", "+15550000002", "+15550000003", "+4420000000", "+15559999999"]) putSuppressionSync(s, "c1", p, { reason: "manual", at: 1 });
    putSuppressionSync(s, "c2", "+15550000004", { reason: "manual", at: 1 });
  });
  const first = listSuppressions(s, "c1", { prefix: "+1555000", limit: 2 });
  expect(first.items.map((i) => i.phone)).toEqual(["+15550000001", "+15550000002"]);
  expect(first.next).toBe("+15550000002");
  const second = listSuppressions(s, "c1", { prefix: "+1555000", limit: 2, cursor: first.next });
  expect(second.items.map((i) => i.phone)).toEqual(["+15550000003"]);
  expect(second.next).toBeUndefined();
  expect(listSuppressions(s, "c1").items).toHaveLength(5);
});
