import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import type { AuthContext } from "../../src/deps.ts";
import { PermanentJobError } from "../../src/queue/types.ts";
import { createToken, createUser } from "../../src/services/auth.ts";
import { settle } from "../helpers/settle.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const FAIL_JOB = "test.fail";
let sys: TestSystem;
let a: AuthContext;
let b: AuthContext;
const tokens = new Map<AuthContext, string>();

beforeEach(async () => {
  sys = makeSystem();
  a = await makeCompany(sys, "Alpha");
  b = await makeCompany(sys, "Beta");
  sys.runner.register(FAIL_JOB, () => {
    throw new PermanentJobError("provider said no");
  }, { queue: "default" });
});
afterEach(async () => {
  tokens.clear();
  await sys.destroy();
});

async function call(who: AuthContext, method: string, path: string): Promise<Response> {
  let token = tokens.get(who);
  if (!token) tokens.set(who, (token = (await createToken(sys.deps, who, "test")).token));
  return sys.app.handle(new Request(`http://pombo.test${path}`, { method, headers: { authorization: `Bearer ${token}` } }));
}

/** Dead-letters one job with the given data and returns its id. */
async function deadJob(data: Record<string, unknown>): Promise<string> {
  const id = await sys.deps.queue.enqueue({ name: FAIL_JOB, data, queue: "default" });
  await settle(sys, 5);
  return id;
}

async function member(of: AuthContext): Promise<AuthContext> {
  const { user, company } = await createUser(sys.deps, { email: `member@${of.company.name.toLowerCase()}.test`, password: "correct horse", company: of.company.name, role: "member" });
  return { user: { id: user.id, email: user.email, role: "member" }, company: { id: company.id, name: company.name } };
}

test("GET /queues lists every queue with depth, delayed, running, failed and perMinute", async () => {
  await sys.deps.queue.enqueue({ name: FAIL_JOB, data: {}, queue: "default", runAt: sys.clock.now() + 60_000 });
  await sys.deps.queue.enqueue({ name: "nobody.handles", data: {}, queue: "imports" });
  const res = await call(a, "GET", "/api/v1/queues");
  expect(res.status).toBe(200);
  const queues = (await res.json()) as any[];
  expect(queues.map((q) => q.name)).toEqual(["webhooks", "sends", "default", "outgoing", "campaigns", "imports"]);
  for (const q of queues) {
    for (const k of ["depth", "delayed", "running", "failed", "perMinute"]) expect(typeof q[k]).toBe("number");
  }
  expect(queues.find((q) => q.name === "default")).toMatchObject({ depth: 0, delayed: 1, running: 0, failed: 0 });
  expect(queues.find((q) => q.name === "imports")).toMatchObject({ depth: 1 });
  expect((await sys.app.handle(new Request("http://pombo.test/api/v1/queues"))).status).toBe(401);
});

test("dead letters: each company sees only its own, with a data summary that hides secrets and bodies", async () => {
  const idA = await deadJob({ companyId: a.company.id, messageId: "m-a", secret: "s3cr3t", body: "Your code is 1234", authToken: "tok", nested: { x: 1 } });
  const idB = await deadJob({ companyId: b.company.id, messageId: "m-b" });
  const pageA = (await (await call(a, "GET", "/api/v1/queues/default/failed")).json()) as any;
  expect(pageA.items).toEqual([{
    id: idA, name: FAIL_JOB, queue: "default", attempts: 1, lastError: "PermanentJobError: provider said no",
    createdAt: new Date(sys.clock.now()).toISOString(), deadAt: new Date(sys.clock.now()).toISOString(),
    data: { companyId: a.company.id, messageId: "m-a" },
  }]);
  const text = JSON.stringify(pageA);
  for (const secret of ["s3cr3t", "1234", "tok"]) expect(text).not.toContain(secret);
  const pageB = (await (await call(b, "GET", "/api/v1/queues/default/failed")).json()) as any;
  expect(pageB.items.map((j: any) => j.id)).toEqual([idB]);
});

test("company B can neither retry nor discard company A's dead job (404); A's owner can", async () => {
  const idA = await deadJob({ companyId: a.company.id });
  expect((await call(b, "POST", `/api/v1/queues/jobs/${idA}/retry`)).status).toBe(404);
  const del = await call(b, "DELETE", `/api/v1/queues/jobs/${idA}`);
  expect(del.status).toBe(404);
  expect(((await del.json()) as any).error.code).toBe("job_not_found");
  expect(sys.deps.queue.get(idA)?.state).toBe("dead");

  const retry = await call(a, "POST", `/api/v1/queues/jobs/${idA}/retry`);
  expect(retry.status).toBe(200);
  expect(await retry.json()).toEqual({ id: idA, state: "ready" });
  expect(sys.deps.queue.get(idA)?.state).toBe("ready");
  expect((await call(a, "POST", `/api/v1/queues/jobs/${idA}/retry`)).status).toBe(409);

  await settle(sys, 5); // dies again
  expect((await call(a, "DELETE", `/api/v1/queues/jobs/${idA}`)).status).toBe(200);
  expect(sys.deps.queue.get(idA)).toBeUndefined();
  expect((await call(a, "DELETE", `/api/v1/queues/jobs/${idA}`)).status).toBe(404);
});

test("members may look but not retry or discard (403 forbidden)", async () => {
  const idA = await deadJob({ companyId: a.company.id });
  const m = await member(a);
  expect(m.company.id).toBe(a.company.id);
  expect(((await (await call(m, "GET", "/api/v1/queues/default/failed")).json()) as any).items).toHaveLength(1);
  const res = await call(m, "POST", `/api/v1/queues/jobs/${idA}/retry`);
  expect(res.status).toBe(403);
  expect(((await res.json()) as any).error.code).toBe("forbidden");
  expect((await call(m, "DELETE", `/api/v1/queues/jobs/${idA}`)).status).toBe(403);
});

test("jobs without a company are shown to owners only; account-bound jobs to the account's company", async () => {
  const sysId = await deadJob({ path: "/tmp/x" });
  const { createAccount } = await import("../../src/services/accounts.ts");
  const account = await createAccount(sys.deps, a.company.id, { name: "S", driver: "sandbox", config: {} });
  const hookId = await deadJob({ driver: "sandbox", accountId: account.id, req: { headers: { "x-sig": "abc" }, body: "raw" } });
  const ids = async (who: AuthContext) => (((await (await call(who, "GET", "/api/v1/queues/default/failed")).json()) as any).items as any[]).map((j) => j.id);
  expect(await ids(a)).toEqual([sysId, hookId]);
  expect(await ids(b)).toEqual([sysId]);
  expect(await ids(await member(a))).toEqual([hookId]);
  expect((await call(b, "POST", `/api/v1/queues/jobs/${hookId}/retry`)).status).toBe(404);
});

test("failed pages filter by company across the queue and carry a cursor", async () => {
  const mine: string[] = [];
  for (let i = 0; i < 7; i++) {
    await deadJob({ companyId: b.company.id, i });
    mine.push(await deadJob({ companyId: a.company.id, i }));
  }
  const p1 = (await (await call(a, "GET", "/api/v1/queues/default/failed?limit=3")).json()) as any;
  expect(p1.items.map((j: any) => j.id)).toEqual(mine.slice(0, 3));
  const p2 = (await (await call(a, "GET", `/api/v1/queues/default/failed?limit=3&cursor=${p1.next}`)).json()) as any;
  expect(p2.items.map((j: any) => j.id)).toEqual(mine.slice(3, 6));
  const p3 = (await (await call(a, "GET", `/api/v1/queues/default/failed?limit=3&cursor=${p2.next}`)).json()) as any;
  expect(p3.items.map((j: any) => j.id)).toEqual(mine.slice(6));
  expect(p3.next).toBeUndefined();
  expect((await call(a, "GET", "/api/v1/queues/nope/failed")).status).toBe(404);
});
