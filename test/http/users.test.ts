import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { createToken } from "../../src/services/auth.ts";
import { countUserSessions } from "../../src/storage/sessions.ts";
import { getUserByEmail } from "../../src/storage/users.ts";
import { api, login, makeTwoTenants } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: Awaited<ReturnType<typeof makeTwoTenants>>;
let ownerA: string;
beforeEach(async () => {
  t = await makeTwoTenants();
  ownerA = getUserByEmail(t.deps.storage, "a@a.test")!.id;
});
afterEach(() => t.close());

const PASSWORD = "member password";
const add = (body: unknown, cookie = t.a) => api(t.app, cookie, "POST", "/api/v1/users", body);
const patch = (id: string, body: unknown, cookie = t.a) => api(t.app, cookie, "PATCH", `/api/v1/users/${id}`, body);
const remove = (id: string, cookie = t.a) => api(t.app, cookie, "DELETE", `/api/v1/users/${id}`);
const me = (cookie: string) => api(t.app, cookie, "GET", "/api/v1/me");
const listUsers = async (cookie = t.a) => ((await (await api(t.app, cookie, "GET", "/api/v1/users")).json()) as { items: any[] }).items;
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** Adds a member to company A through the API and returns its id. */
async function addMember(email = "m@a.test", role = "member"): Promise<string> {
  const res = await add({ email, password: PASSWORD, role });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test("an owner adds a member: 201 with the user's view, who can then log in and is listed, never with a password hash", async () => {
  const res = await add({ email: "  New.Member@A.test ", password: PASSWORD, role: "member" });
  expect(res.status).toBe(201);
  const created = await res.json() as any;
  expect(created).toEqual({ id: expect.any(String), email: "new.member@a.test", role: "member", createdAt: expect.any(String) });
  const cookie = await login(t.app, "new.member@a.test", PASSWORD);
  expect(await (await me(cookie)).json()).toMatchObject({ user: { id: created.id, role: "member" }, company: { id: t.companyA } });
  const res2 = await api(t.app, t.a, "GET", "/api/v1/users");
  const text = await res2.text();
  expect(text).not.toContain("argon2");
  expect(text).not.toContain("passwordHash");
  const items = JSON.parse(text).items;
  expect(items.map((u: any) => u.email)).toEqual(["a@a.test", "new.member@a.test"]);
  expect(items[1]).toEqual({ ...created, lastLoginAt: new Date(t.clock.now()).toISOString() });
});

test("lastLoginAt follows each login", async () => {
  const id = await addMember();
  expect((await listUsers()).find((u) => u.id === id).lastLoginAt).toBeUndefined();
  t.clock.advance(60_000);
  await login(t.app, "m@a.test", PASSWORD);
  expect((await listUsers()).find((u) => u.id === id).lastLoginAt).toBe(new Date(t.clock.now()).toISOString());
});

test("an e-mail already used in any company is 409 email_taken, whatever its case", async () => {
  await addMember("m@a.test");
  const again = await add({ email: "M@A.TEST", password: PASSWORD, role: "owner" });
  expect(again.status).toBe(409);
  expect(await errorCode(again)).toBe("email_taken");
  const otherCompany = await add({ email: "b@b.test", password: PASSWORD, role: "member" });
  expect(otherCompany.status).toBe(409);
  expect(await errorCode(otherCompany)).toBe("email_taken");
  expect((await listUsers()).length).toBe(2);
});

test("bad bodies are refused with the error shape: malformed JSON 400, a short password (the CLI's policy), a bad e-mail or role 422", async () => {
  const cases: Array<[string, unknown, number, string]> = [
    ["a short password", { email: "x@a.test", password: "short", role: "member" }, 422, "weak_password"],
    ["a password over 1,024 characters", { email: "x@a.test", password: "p".repeat(1025), role: "member" }, 422, "validation_failed"],
    ["a malformed e-mail", { email: "not an email", password: PASSWORD, role: "member" }, 422, "invalid_email"],
    ["an unknown role", { email: "x@a.test", password: PASSWORD, role: "admin" }, 422, "validation_failed"],
    ["no role", { email: "x@a.test", password: PASSWORD }, 422, "validation_failed"],
    ["no password", { email: "x@a.test", role: "member" }, 422, "validation_failed"],
    ["malformed JSON", "{email:", 400, "malformed_body"],
  ];
  for (const [name, body, status, code] of cases) {
    const res = await add(body);
    expect({ name, status: res.status, code: await errorCode(res) }).toEqual({ name, status, code });
  }
  const id = await addMember();
  expect({ status: (await patch(id, { role: "admin" })).status, code: await errorCode(await patch(id, "{role")) }).toEqual({ status: 422, code: "malformed_body" });
  expect((await listUsers()).length).toBe(2);
});

test("members list the team but get 403 forbidden for every change", async () => {
  const memberId = await addMember();
  const member = await login(t.app, "m@a.test", PASSWORD);
  expect((await listUsers(member)).map((u) => u.email)).toEqual(["a@a.test", "m@a.test"]);
  for (const res of [
    await add({ email: "x@a.test", password: PASSWORD, role: "owner" }, member),
    await patch(memberId, { role: "owner" }, member),
    await patch(ownerA, { password: "taken over!" }, member),
    await remove(ownerA, member),
  ]) {
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe("forbidden");
  }
  expect((await listUsers()).map((u) => [u.email, u.role])).toEqual([["a@a.test", "owner"], ["m@a.test", "member"]]);
});

test("another company's users answer 404 and are left untouched; they never show in the listing", async () => {
  const ownerB = getUserByEmail(t.deps.storage, "b@b.test")!.id;
  expect(JSON.stringify(await listUsers())).not.toContain(ownerB);
  for (const res of [await patch(ownerB, { role: "member", password: "hijacked password" }), await remove(ownerB), await patch("nope", { role: "member" })]) {
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("user_not_found");
  }
  expect((await me(t.b)).status).toBe(200);
  expect(getUserByEmail(t.deps.storage, "b@b.test")!.role).toBe("owner");
  await login(t.app, "b@b.test", "password-b");
});

test("the last owner can neither be demoted nor removed, also not by themselves (409 last_owner); with a second owner both work", async () => {
  await addMember();
  for (const res of [await patch(ownerA, { role: "member" }), await remove(ownerA)]) {
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe("last_owner");
  }
  expect((await me(t.a)).status).toBe(200);
  const second = await addMember("second@a.test", "owner");
  const demoted = await patch(ownerA, { role: "member" });
  expect(demoted.status).toBe(200);
  expect(((await demoted.json()) as any).role).toBe("member");
  // The caller is a member now: the role is read on every request.
  expect((await patch(second, { role: "member" })).status).toBe(403);
  const secondCookie = await login(t.app, "second@a.test", PASSWORD);
  expect(await errorCode(await patch(second, { role: "member" }, secondCookie))).toBe("last_owner");
  expect((await remove(ownerA, secondCookie)).status).toBe(200);
  expect((await me(t.a)).status).toBe(401);
});

test("an owner may remove themselves while another owner remains: the cookie is cleared and the session ends", async () => {
  await addMember("second@a.test", "owner");
  const res = await remove(ownerA);
  expect(res.status).toBe(200);
  expect(res.headers.get("set-cookie")).toContain("Max-Age=0");
  expect((await me(t.a)).status).toBe(401);
});

test("removing a user ends every session and API token of theirs at once; they can no longer log in", async () => {
  const id = await addMember();
  const s1 = await login(t.app, "m@a.test", PASSWORD);
  const s2 = await login(t.app, "m@a.test", PASSWORD);
  const token = await createToken(t.deps, { user: { id, email: "m@a.test", role: "member" }, company: { id: t.companyA, name: "Company A" } }, "script");
  const bearer = () => t.app.handle(new Request("http://pombo.test/api/v1/me", { headers: { authorization: `Bearer ${token.token}` } }));
  expect((await bearer()).status).toBe(200);
  expect((await remove(id)).status).toBe(200);
  expect((await me(s1)).status).toBe(401);
  expect((await me(s2)).status).toBe(401);
  expect((await bearer()).status).toBe(401);
  expect(countUserSessions(t.deps.storage, id)).toBe(0);
  expect(JSON.stringify(await (await api(t.app, t.a, "GET", "/api/v1/tokens")).json())).not.toContain(token.id);
  await expect(login(t.app, "m@a.test", PASSWORD)).rejects.toThrow(/401/);
  expect((await remove(id)).status).toBe(404);
  // The e-mail is free again.
  expect((await add({ email: "m@a.test", password: PASSWORD, role: "member" })).status).toBe(201);
});

test("an owner resetting a user's password ends that user's sessions; the old password stops working, the new one works", async () => {
  const id = await addMember();
  const session = await login(t.app, "m@a.test", PASSWORD);
  const res = await patch(id, { password: "brand new secret" });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ id, role: "member" });
  expect((await me(session)).status).toBe(401);
  await expect(login(t.app, "m@a.test", PASSWORD)).rejects.toThrow(/401/);
  await login(t.app, "m@a.test", "brand new secret");
  expect(await errorCode(await patch(id, { password: "short" }))).toBe("weak_password");
});

test("an owner changing their own password through PATCH keeps the session they use and ends the others", async () => {
  const other = await login(t.app, "a@a.test", "password-a");
  expect((await patch(ownerA, { password: "owner's new password" })).status).toBe(200);
  expect((await me(t.a)).status).toBe(200);
  expect((await me(other)).status).toBe(401);
});

test("a role change alone leaves sessions open", async () => {
  const id = await addMember();
  const session = await login(t.app, "m@a.test", PASSWORD);
  expect((await patch(id, { role: "owner" })).status).toBe(200);
  expect(await (await me(session)).json()).toMatchObject({ user: { role: "owner" } });
});

test("POST /me/password: a wrong current password is 403 and changes nothing", async () => {
  await addMember();
  const member = await login(t.app, "m@a.test", PASSWORD);
  const res = await api(t.app, member, "POST", "/api/v1/me/password", { currentPassword: "not it at all", newPassword: "another password" });
  expect(res.status).toBe(403);
  expect(await errorCode(res)).toBe("wrong_password");
  expect((await me(member)).status).toBe(200);
  await login(t.app, "m@a.test", PASSWORD);
});

test("POST /me/password changes the caller's password, keeps this session and ends the others", async () => {
  await addMember();
  const here = await login(t.app, "m@a.test", PASSWORD);
  const elsewhere = await login(t.app, "m@a.test", PASSWORD);
  const weak = await api(t.app, here, "POST", "/api/v1/me/password", { currentPassword: PASSWORD, newPassword: "short" });
  expect(await errorCode(weak)).toBe("weak_password");
  expect((await me(elsewhere)).status).toBe(200);
  const res = await api(t.app, here, "POST", "/api/v1/me/password", { currentPassword: PASSWORD, newPassword: "my own new password" });
  expect(res.status).toBe(200);
  expect((await me(here)).status).toBe(200);
  expect((await me(elsewhere)).status).toBe(401);
  await expect(login(t.app, "m@a.test", PASSWORD)).rejects.toThrow(/401/);
  await login(t.app, "m@a.test", "my own new password");
});

test("POST /me/password is refused after 10 wrong current passwords (429 with Retry-After)", async () => {
  const wrong = () => api(t.app, t.a, "POST", "/api/v1/me/password", { currentPassword: "wrong guess!", newPassword: "another password" });
  for (let i = 0; i < 10; i++) expect((await wrong()).status).toBe(403);
  const blocked = await api(t.app, t.a, "POST", "/api/v1/me/password", { currentPassword: "password-a", newPassword: "another password" });
  expect(blocked.status).toBe(429);
  expect(blocked.headers.get("retry-after")).toBeTruthy();
  t.clock.advance(15 * 60_000 + 1);
  expect((await api(t.app, t.a, "POST", "/api/v1/me/password", { currentPassword: "password-a", newPassword: "another password" })).status).toBe(200);
});

test("team changes with the session cookie from a foreign Origin are refused before anything changes", async () => {
  const id = await addMember();
  const res = await t.app.handle(new Request(`http://pombo.test/api/v1/users/${id}`, { method: "DELETE", headers: { cookie: t.a, origin: "https://evil.example" } }));
  expect(res.status).toBe(403);
  expect(await errorCode(res)).toBe("foreign_origin");
  expect((await listUsers()).length).toBe(2);
});

test("the team routes are in the OpenAPI document", async () => {
  const doc = await (await t.app.handle(new Request("http://pombo.test/api/openapi.json"))).json() as { paths: Record<string, Record<string, unknown>> };
  expect(Object.keys(doc.paths["/api/v1/users"] ?? {}).sort()).toEqual(["get", "post"]);
  expect(Object.keys(doc.paths["/api/v1/users/{id}"] ?? {}).sort()).toEqual(["delete", "patch"]);
  expect(Object.keys(doc.paths["/api/v1/me/password"] ?? {})).toEqual(["post"]);
});
