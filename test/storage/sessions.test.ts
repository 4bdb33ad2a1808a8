import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../../src/storage/db.ts";
import { migrate, MIGRATIONS } from "../../src/storage/migrate.ts";
import { countUserSessions, putSessionSync, removeSessionSync, removeUserSessionsSync, type Session } from "../../src/storage/sessions.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let s: Storage;
let dir: string;
afterEach(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});
const open = () => (s = openStorage((dir = mkdtempSync(join(tmpdir(), "pombo-sess-")))));
const session = (userId: string, expiresAt: number): Session => ({ v: 1, userId, companyId: "c", expiresAt });

test("a user's sessions end together, but the one kept; expired-only removal spares live sessions", () => {
  open();
  s.env.transactionSync(() => {
    putSessionSync(s, "h1", session("u1", 100));
    putSessionSync(s, "h2", session("u1", 300));
    putSessionSync(s, "h3", session("u1", 500));
    putSessionSync(s, "h4", session("u2", 100));
  });
  expect(s.env.transactionSync(() => removeUserSessionsSync(s, "u1", { expiredAt: 300 }))).toBe(2);
  expect(s.db("sessions").get("h3")).toBeDefined();
  s.env.transactionSync(() => putSessionSync(s, "h5", session("u1", 900)));
  expect(s.env.transactionSync(() => removeUserSessionsSync(s, "u1", { keep: "h5" }))).toBe(1);
  expect([countUserSessions(s, "u1"), countUserSessions(s, "u2")]).toEqual([1, 1]);
  s.env.transactionSync(() => removeSessionSync(s, "h5"));
  s.env.transactionSync(() => removeSessionSync(s, "h5"));
  expect([...s.db("sessions").getKeys()]).toEqual(["h4"]);
  expect([...s.db("userSessions").getKeys()]).toEqual([["u2", "h4"]]);
});

test("migration 3 indexes the sessions stored before the per-user index existed", () => {
  open();
  migrate(s, MIGRATIONS.filter((m) => m.version < 3));
  s.db("sessions").putSync("old1", session("u1", 100));
  s.db("sessions").putSync("old2", session("u2", 200));
  migrate(s);
  expect([...s.db("userSessions").getRange()].map(({ key, value }) => [key, value])).toEqual([[["u1", "old1"], 100], [["u2", "old2"], 200]]);
  expect(s.env.transactionSync(() => removeUserSessionsSync(s, "u1"))).toBe(1);
  expect(s.db("sessions").get("old1")).toBeUndefined();
});
