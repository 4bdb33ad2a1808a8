/**
 * The single binary end to end: `bun run build`'s code path compiles dist/pombo into a temp dir, which then
 * runs `user add`, `serve` (UI, API, an import through the worker pool, LMDB), `import` and `backup` with the
 * repository out of reach. Where the test may (root, `unshare -m`), each command runs in a private mount
 * namespace with the checkout hidden under an empty tmpfs, so a stray path into node_modules fails here
 * rather than on a customer's VM.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { buildBinary } from "../../scripts/build.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const REPO = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "pombo-binary-"));
const bin = join(dir, "pombo");
const dataDir = join(dir, "data");
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "info", PORT: "0", HOST: "127.0.0.1", WORKER_THREADS: "2" };

/** Runs argv with the repository hidden when the platform lets us (root with mount namespaces). */
const canHide = process.platform === "linux" && Bun.spawnSync(["unshare", "-m", "true"], { stderr: "ignore" }).exitCode === 0;
function hidden(argv: string[]): string[] {
  if (!canHide) return argv;
  return ["unshare", "-m", "sh", "-c", `mount -t tmpfs none "$0" && exec "$@"`, REPO, ...argv];
}

function run(args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(hidden([bin, ...args]), { env, cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

beforeAll(async () => {
  const r = await buildBinary({ outfile: bin });
  console.log(`binary built in ${r.ms} ms (${Math.round(statSync(bin).size / 1024 ** 2)} MiB); repository hidden from it: ${canHide}`);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `pombo serve` and resolves with its port once it logs "pombo started". */
async function serve(): Promise<{ proc: Subprocess<"ignore", "pipe", "inherit">; port: number; log: () => string }> {
  const proc = Bun.spawn(hidden([bin, "serve"]), { env, cwd: dir, stdout: "pipe", stderr: "inherit" });
  let text = "";
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`pombo serve exited early:\n${text}`);
    text += decoder.decode(value);
    const m = /"msg":"pombo started","port":(\d+)/.exec(text);
    if (m) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => { for (;;) { const r = await reader.read(); if (r.done) return; text += decoder.decode(r.value); } })();
      return { proc, port: Number(m[1]), log: () => text };
    }
  }
  proc.kill("SIGKILL");
  throw new Error(`pombo serve did not start in 30 s:\n${text}`);
}

test("dist/pombo serves the UI and API, imports through its worker pool and stops cleanly on SIGTERM", async () => {
  expect(run([]).out).toContain("usage: pombo");
  const added = run(["user", "add", "--email", "owner@bin.test", "--password", "binary-pass-1", "--company", "Bin Co"]);
  expect(added.out).toContain("created owner owner@bin.test");
  expect(added.code).toBe(0);

  const { proc, port, log } = await serve();
  const base = `http://127.0.0.1:${port}`;
  try {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "owner@bin.test", password: "binary-pass-1" }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });

    // The embedded UI: index.html on any UI path, and the hashed assets it names.
    const html = await (await call("/lists")).text();
    expect(html).toContain("<!doctype html>");
    const js = /\/assets\/(app-[\w-]+\.js)/.exec(html)?.[1];
    expect(js).toBeDefined();
    const asset = await call(`/assets/${js}`);
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(10_000);
    expect((await call("/api/docs/assets/swagger-ui.css")).status).toBe(200);

    // A list and a CSV import through the API: the queue, the Piscina workers and LMDB, all from the binary.
    const list = await (await call("/api/v1/lists", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Binary" }) })).json();
    const csv = "name,phone\nAnn,+1 (212) 555-0100\nBob,415.555.0101\nBad,12\nAnn again,+12125550100\n";
    const started = await call(`/api/v1/lists/${list.id}/imports`, { method: "POST", headers: { "content-type": "text/csv" }, body: csv });
    expect(started.status).toBe(202);
    const { id } = await started.json();
    let imp: any;
    for (let i = 0; i < 200; i++) {
      imp = await (await call(`/api/v1/imports/${id}`)).json();
      if (imp.status === "done" || imp.status === "failed") break;
      await Bun.sleep(50);
    }
    expect(imp).toMatchObject({ status: "done", rows: 4, imported: 2, duplicates: 1, invalid: 1 });
    // Enriched from the geo table that the first `serve` built out of the embedded data.
    const contact = await (await call(`/api/v1/contacts/${encodeURIComponent("+12125550100")}`)).json();
    expect(contact.geo).toMatchObject({ country: "US", timezone: "America/New_York" });
    expect(contact.geo.region).not.toBe("");

    // Admin commands next to the running server (LMDB is multi-process).
    const file = join(dir, "more.csv");
    writeFileSync(file, "phone\n+13125550100\n+13125550101\n");
    const imported = run(["import", file, "--list", list.id]);
    expect(imported.out).toContain('"status":"done"');
    expect(imported.code).toBe(0);
    const backup = run(["backup", "--to", join(dir, "backup")]);
    expect(backup.code).toBe(0);
    expect(existsSync(join(dir, "backup", "db", "data.mdb"))).toBe(true);
    expect((await (await call(`/api/v1/lists/${list.id}`)).json()).contacts).toBe(4);
  } finally {
    proc.kill("SIGTERM");
  }
  expect(await proc.exited).toBe(0);
  expect(log()).toContain('"msg":"stopped"');
}, 60_000);
