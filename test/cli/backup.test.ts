import { afterEach, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyJournal } from "../../src/cli/backup.ts";
import { Journal } from "../../src/storage/journal.ts";

const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), name));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

test("the backup's journal copy holds the records not released yet; a record cut mid-copy is dropped when it opens", async () => {
  const data = tempDir("pombo-bk-src-");
  const to = tempDir("pombo-bk-dst-");
  const live = new Journal(join(data, "journal"), { syncMs: 50, segmentBytes: 1 }); // the running server's; a segment per record
  live.append(1, [["hook.in", "webhooks", "moved already", 5, null, null]], 1);
  live.append(2, [["hook.in", "webhooks", "waiting", 5, null, null]], 1);
  live.append(3, [["hook.in", "webhooks", "also waiting", 5, null, null]], 1);
  live.release(1); // moved and on disk: its segment is gone
  copyJournal(data, to);
  live.append(4, [["hook.in", "webhooks", "after the copy", 5, null, null]], 1);
  await live.close();
  const names = readdirSync(join(to, "journal"));
  expect(names.every((n) => n.endsWith(".log"))).toBe(true); // not the lock file
  // As if the server had been writing a record while its file was copied: a partial frame at the end.
  appendFileSync(join(to, "journal", names.sort().at(-1)!), Buffer.from([200, 0, 0, 0, 1, 2]));
  const copy = new Journal(join(to, "journal"), { syncMs: 50 });
  expect(copy.after(0).map((r) => copy.read(r))).toEqual([[["hook.in", "webhooks", "waiting", 5, null, null]], [["hook.in", "webhooks", "also waiting", 5, null, null]]]);
  await copy.close();
});
