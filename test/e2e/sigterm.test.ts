import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiLogin, runCli, startPombo, until, type ApiClient } from "../helpers/pombo-process.ts";
import { phones } from "../helpers/system.ts";
import { generateCsv } from "../../scripts/gen-csv.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const N = 1_000;
const dir = mkdtempSync(join(tmpdir(), "pombo-sigterm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every second a tick; each tick's sends spread over 8 s, so sends are queued (delayed) when SIGTERM comes.
const ENV = { TICK_CRON: "* * * * * *", TICK_SPREAD_MS: "8000", COMPLETION_WAIT_MS: "0" };

async function setUpCampaign(api: ApiClient): Promise<string> {
  const account = await api.call("POST", "/api/v1/accounts", { name: "Sandbox", driver: "sandbox", config: { deliveryDelayMs: 0 } });
  expect(account.status).toBe(201);
  expect((await api.call("POST", `/api/v1/accounts/${account.body.id}/numbers`, { number: "+12025550100", type: "short_code" })).status).toBe(201);
  expect((await api.call("PUT", "/api/v1/settings/compliance", { quietHours: { start: "00:00", end: "00:00" } })).status).toBe(200);
  const list = await api.call("POST", "/api/v1/lists", { name: "Customers" });
  const csv = "phone,first_name\n" + phones(N).map((p, i) => `${p},Ann${i}`).join("\n") + "\n";
  const imp = await api.call("POST", `/api/v1/lists/${list.body.id}/imports`, csv);
  expect(imp.status).toBe(202);
  const done = await until(() => api.call("GET", `/api/v1/imports/${imp.body.id}`), (r) => r.body.status === "done" || r.body.status === "failed");
  expect(done.body).toMatchObject({ status: "done", imported: N });
  const c = await api.call("POST", "/api/v1/campaigns", { name: "Spring", accountId: account.body.id, listIds: [list.body.id], body: "Hi {{first_name}}" });
  expect(c.status).toBe(201);
  expect((await api.call("POST", `/api/v1/campaigns/${c.body.id}/start`)).status).toBe(200);
  return c.body.id;
}

test("SIGTERM with sends queued: exits 0 after a 'stopped' log line; after restart every queued send completes once", async () => {
  await runCli(dir, ["user", "add", "--email", "owner@acme.test", "--password", "correct horse battery", "--company", "Acme"]);
  const first = await startPombo(dir, ENV);
  let campaignId: string;
  try {
    const api = await apiLogin(first.url, "owner@acme.test", "correct horse battery");
    campaignId = await setUpCampaign(api);
    // Mid-run: some sends done, more waiting in the sends queue as delayed jobs.
    await until(() => view(api), (r) => r.body.counts.delivered + r.body.counts.sent > 0 && r.body.counts.queued > 100);
    const sends = (await api.call("GET", "/api/v1/queues")).body.find((q: { name: string }) => q.name === "sends");
    expect(sends.delayed + sends.depth).toBeGreaterThan(0);
  } catch (e) {
    first.kill("SIGKILL");
    throw e;
  }
  function view(a: ApiClient) {
    return a.call("GET", `/api/v1/campaigns/${campaignId}`);
  }

  first.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  const msgs = first.logs.map((l) => l.msg);
  expect(msgs).toContain("shutting down");
  expect(msgs[msgs.length - 1]).toBe("stopped");
  expect(first.logs.filter((l) => l.level === "error" || l.level === "warn")).toEqual([]); // running jobs finished in time

  const second = await startPombo(dir, ENV);
  try {
    const api2 = await apiLogin(second.url, "owner@acme.test", "correct horse battery");
    const end = await until(() => view(api2), (r) => r.body.status === "completed");
    expect(end.body.counts).toMatchObject({ total: N, pending: 0, queued: 0, failed: 0, skipped: 0 });
    expect(end.body.counts.sent + end.body.counts.delivered).toBe(N);
    // One message per recipient, each handed to the provider once (the sandbox assigns one provider id per send).
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await api2.call("GET", `/api/v1/messages?campaignId=${campaignId}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      for (const m of page.body.items) seen.set(m.to, (seen.get(m.to) ?? 0) + 1);
      cursor = page.body.next;
    } while (cursor);
    expect(seen.size).toBe(N);
    expect([...seen.values()].every((k) => k === 1)).toBe(true);
  } finally {
    second.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }
}, 60_000);

test("SIGTERM during a big import: exits 0 after its batch in flight, and after restart the import ends with exact counts", async () => {
  const idir = mkdtempSync(join(tmpdir(), "pombo-sigterm-import-"));
  try {
    await runCli(idir, ["user", "add", "--email", "owner@acme.test", "--password", "correct horse battery", "--company", "Acme"]);
    const csv = join(idir, "contacts.csv");
    const counts = await generateCsv(csv, { rows: 300_000 });
    const first = await startPombo(idir, { WORKER_THREADS: "2" });
    let importId: string;
    try {
      const api = await apiLogin(first.url, "owner@acme.test", "correct horse battery");
      const list = await api.call("POST", "/api/v1/lists", { name: "Big" });
      const imp = await api.call("POST", `/api/v1/lists/${list.body.id}/imports`, await Bun.file(csv).text());
      expect(imp.status).toBe(202);
      importId = imp.body.id;
      await until(() => api.call("GET", `/api/v1/imports/${importId}`), (r) => r.body.rows > 0);
    } catch (e) {
      first.kill("SIGKILL");
      throw e;
    }
    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.logs.map((l) => l.msg).at(-1)).toBe("stopped");

    const second = await startPombo(idir, { WORKER_THREADS: "2" });
    try {
      const api2 = await apiLogin(second.url, "owner@acme.test", "correct horse battery");
      const end = await until(() => api2.call("GET", `/api/v1/imports/${importId}`), (r) => r.body.status === "done" || r.body.status === "failed", 60_000);
      expect(end.body).toMatchObject({ status: "done", imported: counts.valid, duplicates: counts.duplicates, invalid: counts.invalid, rows: 300_000 });
    } finally {
      second.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
  } finally {
    rmSync(idir, { recursive: true, force: true });
  }
}, 120_000);
