import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { api, makeTwoTenants } from "../helpers/app.ts";
import type { JobSpec } from "../../src/queue/types.ts";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function setup(env: Record<string, string> = {}) {
  const jobs: JobSpec[] = [];
  const queue = { enqueueSync: (s: JobSpec) => (jobs.push(s), String(jobs.length)), enqueue: async (s: JobSpec) => (jobs.push(s), String(jobs.length)) } as never;
  const t = await makeTwoTenants({ env, overrides: { queue } });
  close = t.close;
  return { ...t, jobs };
}

const upload = (app: any, cookie: string, listId: string, body: BodyInit, type = "text/csv", query = "") =>
  app.handle(new Request(`http://pombo.test/api/v1/lists/${listId}/imports${query}`, { method: "POST", headers: { cookie, "content-type": type }, body }));

test("creates a list, streams an upload to disk and queues its import", async () => {
  const t = await setup();
  const res = await api(t.app, t.a, "POST", "/api/v1/lists", { name: "Customers" });
  expect(res.status).toBe(201);
  const list = await res.json();
  expect(list).toMatchObject({ name: "Customers", contacts: 0 });
  const up = await upload(t.app, t.a, list.id, "phone,name\n+12125550100,Ann\n");
  expect(up.status).toBe(202);
  const { id } = await up.json();
  expect(t.jobs).toEqual([expect.objectContaining({ name: "import.run", queue: "imports", data: expect.objectContaining({ importId: id }) })]);
  const imp = await (await api(t.app, t.a, "GET", `/api/v1/imports/${id}`)).json();
  expect(imp).toMatchObject({ id, listId: list.id, status: "queued", rows: 0 });
  expect(readdirSync(join(t.dir, "uploads"))).toHaveLength(1);
});

test("another company's list and import answer 404", async () => {
  const t = await setup();
  const list = await (await api(t.app, t.a, "POST", "/api/v1/lists", { name: "A" })).json();
  expect((await api(t.app, t.b, "GET", `/api/v1/lists/${list.id}`)).status).toBe(404);
  expect((await upload(t.app, t.b, list.id, "phone\n1\n")).status).toBe(404);
  const { id } = await (await upload(t.app, t.a, list.id, "phone\n+12125550100\n")).json();
  expect((await api(t.app, t.b, "GET", `/api/v1/imports/${id}`)).status).toBe(404);
  expect((await api(t.app, t.b, "GET", `/api/v1/lists`)).status).toBe(200);
  expect(await (await api(t.app, t.b, "GET", `/api/v1/lists`)).json()).toEqual([]);
});

test("an upload over the size limit answers 413 and leaves no partial file", async () => {
  const t = await setup({ MAX_UPLOAD_BYTES: "1000" });
  const list = await (await api(t.app, t.a, "POST", "/api/v1/lists", { name: "A" })).json();
  const big = "phone\n" + "+12125550100\n".repeat(200);
  const res = await upload(t.app, t.a, list.id, big);
  expect(res.status).toBe(413);
  expect((await res.json()).error.code).toBe("upload_too_large");
  expect(existsSync(join(t.dir, "uploads")) ? readdirSync(join(t.dir, "uploads")) : []).toEqual([]);
  expect(t.jobs).toEqual([]);
});

test("takes the file field of a multipart form", async () => {
  const t = await setup();
  const list = await (await api(t.app, t.a, "POST", "/api/v1/lists", { name: "A" })).json();
  const form = new FormData();
  form.append("note", "ignored");
  form.append("file", new Blob(["phone,name\n+12125550100,Ann\n"], { type: "text/csv" }), "x.csv");
  const encoded = new Response(form);
  const type = encoded.headers.get("content-type")!;
  const res = await upload(t.app, t.a, list.id, await encoded.arrayBuffer(), type);
  expect(res.status).toBe(202);
  const files = readdirSync(join(t.dir, "uploads"));
  expect(await Bun.file(join(t.dir, "uploads", files[0]!)).text()).toBe("phone,name\n+12125550100,Ann\n");
});

test("contacts page, contact by phone, errors.csv and list deletion in batches", async () => {
  const { createPool } = await import("../../src/workers/pool.ts");
  const { runImport } = await import("../../src/services/import-run.ts");
  const { deleteListBatch } = await import("../../src/services/lists.ts");
  const pool = createPool({ workerThreads: 1 });
  const jobs: JobSpec[] = [];
  const queue = { enqueueSync: (s: JobSpec) => (jobs.push(s), String(jobs.length)) } as never;
  const t = await makeTwoTenants({ overrides: { queue, pool } });
  close = async () => { await pool.destroy(); await t.close(); };
  const list = await (await api(t.app, t.a, "POST", "/api/v1/lists", { name: "A" })).json();
  const other = await (await api(t.app, t.a, "POST", "/api/v1/lists", { name: "B" })).json();
  const run = async (listId: string, csv: string) => {
    const { id } = await (await upload(t.app, t.a, listId, csv)).json();
    const job = jobs.find((j) => (j.data as { importId: string }).importId === id)!;
    await runImport(t.deps, (job.data as { companyId: string }).companyId, id);
    return id as string;
  };
  const id = await run(list.id, 'phone,first_name\n+12125550100,Ann\n+12125550101,Bob\n+12125550102,Cy\nnope,"x, y"\n');
  await run(other.id, "phone,last_name\n+12125550100,Smith\n");
  const imp = await (await api(t.app, t.a, "GET", `/api/v1/imports/${id}`)).json();
  expect(imp).toEqual({ id, listId: list.id, status: "done", bytesTotal: expect.any(Number), bytesDone: imp.bytesTotal, rows: 4, imported: 3, duplicates: 0, invalid: 1, suppressed: 0 });
  const errors = await api(t.app, t.a, "GET", `/api/v1/imports/${id}/errors.csv`);
  expect(await errors.text()).toBe('line,reason,raw\n5,letters,"nope,""x, y"""\n');
  const page1 = await (await api(t.app, t.a, "GET", `/api/v1/lists/${list.id}/contacts?limit=2`)).json();
  expect(page1.items.map((c: { phone: string }) => c.phone)).toEqual(["+12125550100", "+12125550101"]);
  const page2 = await (await api(t.app, t.a, "GET", `/api/v1/lists/${list.id}/contacts?limit=2&cursor=${encodeURIComponent(page1.next)}`)).json();
  expect(page2).toEqual({ items: [expect.objectContaining({ phone: "+12125550102", fields: { first_name: "Cy" } })] });
  const contact = await (await api(t.app, t.a, "GET", `/api/v1/contacts/${encodeURIComponent("+12125550100")}`)).json();
  expect(contact).toEqual({ phone: "+12125550100", lists: [list.id, other.id].sort(), fields: { first_name: "Ann", last_name: "Smith" }, geo: { country: "US", region: expect.any(String), city: expect.any(String), timezone: expect.any(String), carrier: expect.any(String) } });
  expect((await api(t.app, t.b, "GET", `/api/v1/contacts/${encodeURIComponent("+12125550100")}`)).status).toBe(404);
  expect((await api(t.app, t.a, "GET", `/api/v1/lists/${list.id}`)).json()).resolves.toMatchObject({ contacts: 3 });
  expect((await api(t.app, t.a, "DELETE", `/api/v1/lists/${list.id}`)).status).toBe(202);
  expect((await api(t.app, t.a, "GET", `/api/v1/lists/${list.id}`)).status).toBe(404);
  const del = jobs.find((j) => j.name === "list.delete")!;
  const { companyId: c } = del.data as { companyId: string };
  expect(deleteListBatch(t.deps.storage, c, list.id, 2)).toBe(false);
  expect(deleteListBatch(t.deps.storage, c, list.id, 2)).toBe(true);
  const after = await (await api(t.app, t.a, "GET", `/api/v1/contacts/${encodeURIComponent("+12125550100")}`)).json();
  expect(after.lists).toEqual([other.id]);
}, 30_000);
