import { afterEach, expect, test } from "bun:test";
import { api, makeTwoTenants } from "../helpers/app.ts";
import type { JobSpec } from "../../src/queue/types.ts";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

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
