import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import type { AuthContext } from "../../src/deps.ts";
import { authenticateSession, createToken, createUser, login } from "../../src/services/auth.ts";
import { addTeamUser, changeOwnPassword, removeTeamUser, resetPassword, updateTeamUser } from "../../src/services/team.ts";
import { countUserSessions } from "../../src/storage/sessions.ts";
import { countOwners, getUser, listCompanyTokens, putUserSync } from "../../src/storage/users.ts";
import { makeTestApp, type TestApp } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: TestApp;
let owner: AuthContext;
beforeEach(async () => {
  t = makeTestApp();
  const { user, company } = await createUser(t.deps, { email: "owner@a.test", password: "owner password", company: "A" });
  owner = { user: { id: user.id, email: user.email, role: "owner" }, company: { id: company.id, name: company.name } };
});
afterEach(() => t.close());

const asAuth = (u: { id: string; email: string; role: "owner" | "member" }): AuthContext => ({ user: { id: u.id, email: u.email, role: u.role }, company: owner.company });

test("the CLI and the team API share one password and e-mail policy", async () => {
  const cli = await createUser(t.deps, { email: "x@a.test", password: "short", company: "A" }).catch((e) => e);
  const api = await addTeamUser(t.deps, owner, { email: "x@a.test", password: "short", role: "member" }).catch((e) => e);
  expect([cli.code, api.code]).toEqual(["weak_password", "weak_password"]);
  const badCli = await createUser(t.deps, { email: "nope", password: "long enough", company: "A" }).catch((e) => e);
  const badApi = await addTeamUser(t.deps, owner, { email: "nope", password: "long enough", role: "member" }).catch((e) => e);
  expect([badCli.code, badApi.code]).toEqual(["invalid_email", "invalid_email"]);
});

test("two owners demoting each other at the same moment leave exactly one owner", async () => {
  const second = await addTeamUser(t.deps, owner, { email: "second@a.test", password: "second password", role: "owner" });
  // With a password in the change, both pass the first look and hash at once; the owner count is checked in the transaction.
  const results = await Promise.allSettled([
    updateTeamUser(t.deps, owner, second.id, { role: "member", password: "new password 1" }),
    updateTeamUser(t.deps, asAuth(second), owner.user.id, { role: "member", password: "new password 2" }),
  ]);
  expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ kind: "conflict", code: "last_owner" });
  expect(countOwners(t.deps.storage, owner.company.id)).toBe(1);
});

test("a login whose password changed while it was being checked opens no session", async () => {
  const pending = login(t.deps, "owner@a.test", "owner password");
  // Before the (asynchronous) hash check ends, the password changes.
  t.deps.storage.env.transactionSync(() => putUserSync(t.deps.storage, { ...getUser(t.deps.storage, owner.user.id)!, passwordHash: "changed" }));
  expect(await pending.catch((e) => e)).toMatchObject({ kind: "unauthorized" });
  expect(countUserSessions(t.deps.storage, owner.user.id)).toBe(0);
});

test("a login drops the user's expired sessions and keeps the live ones", async () => {
  const old = await login(t.deps, "owner@a.test", "owner password");
  t.clock.advance(t.deps.config.sessionTtlMs / 2);
  const mid = await login(t.deps, "owner@a.test", "owner password");
  t.clock.advance(t.deps.config.sessionTtlMs / 2 + 1);
  expect(authenticateSession(t.deps, old.token)).toBeUndefined();
  expect(countUserSessions(t.deps.storage, owner.user.id)).toBe(2);
  await login(t.deps, "owner@a.test", "owner password");
  expect(countUserSessions(t.deps.storage, owner.user.id)).toBe(2);
  expect(t.deps.storage.db("sessions").getKeysCount()).toBe(2);
  expect(authenticateSession(t.deps, mid.token)?.user.id).toBe(owner.user.id);
});

test("removing a user deletes their API tokens and sessions only", async () => {
  const member = await addTeamUser(t.deps, owner, { email: "m@a.test", password: "member password", role: "member" });
  const mine = await createToken(t.deps, owner, "owner's");
  await createToken(t.deps, asAuth(member), "member's");
  const ownerSession = await login(t.deps, "owner@a.test", "owner password");
  await login(t.deps, "m@a.test", "member password");
  await removeTeamUser(t.deps, owner, member.id);
  expect(listCompanyTokens(t.deps.storage, owner.company.id).map((x) => x.id)).toEqual([mine.id]);
  expect(countUserSessions(t.deps.storage, member.id)).toBe(0);
  expect(t.deps.storage.db("sessions").getKeysCount()).toBe(1);
  expect(authenticateSession(t.deps, ownerSession.token)).toBeDefined();
});

test("a password change without a session to keep (API token) ends every session of the user", async () => {
  await login(t.deps, "owner@a.test", "owner password");
  await login(t.deps, "owner@a.test", "owner password");
  await changeOwnPassword(t.deps, owner, { currentPassword: "owner password", newPassword: "a new password" });
  expect(countUserSessions(t.deps.storage, owner.user.id)).toBe(0);
  expect(t.logs.join("")).not.toContain("a new password");
});

test("team changes are logged without passwords", async () => {
  const m = await addTeamUser(t.deps, owner, { email: "m@a.test", password: "member password", role: "member" });
  await updateTeamUser(t.deps, owner, m.id, { password: "reset password" });
  await removeTeamUser(t.deps, owner, m.id);
  const logs = t.logs.join("");
  expect(logs).toContain("user added");
  expect(logs).toContain("user changed");
  expect(logs).toContain("user removed");
  expect(logs).not.toContain("member password");
  expect(logs).not.toContain("reset password");
});

test("an owner locked out gets back in: resetPassword (pombo user password) sets it by e-mail and ends their sessions", async () => {
  const first = await login(t.deps, "owner@a.test", "owner password");
  const { token } = await createToken(t.deps, owner, "script");
  expect(await resetPassword(t.deps, "x@a.test", "long enough").catch((e) => e.code)).toBe("user_not_found");
  expect(await resetPassword(t.deps, "owner@a.test", "short").catch((e) => e.code)).toBe("weak_password");
  expect(authenticateSession(t.deps, first.token)).toBeDefined(); // refused attempts changed nothing
  const user = await resetPassword(t.deps, " Owner@A.test ", "a fresh password");
  expect(user.id).toBe(owner.user.id);
  expect(authenticateSession(t.deps, first.token)).toBeUndefined();
  await expect(login(t.deps, "owner@a.test", "owner password")).rejects.toThrow();
  expect((await login(t.deps, "owner@a.test", "a fresh password")).auth.user.id).toBe(owner.user.id);
  expect(listCompanyTokens(t.deps.storage, owner.company.id).map((k) => k.name)).toContain("script"); // the company's scripts keep working
  expect(token).toBeTruthy();
});
