/**
 * Load isolation benchmark (not a test), issue 7: while a big CSV import and a campaign sending at
 * 5,000 messages/s run in the process, API reads and provider webhooks must keep p99 ≤ 50 ms. The peer
 * is the same probe stream against the same process while it is idle, measured first in the same run.
 * Usage: bun run bench:mixed [-- --rows 10000000 --messages 400000 --seconds 30 --rate 300]
 */
import { argNumber } from "./bench-args.ts";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { addNumber, createAccount } from "../src/services/accounts.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../src/services/campaigns.ts";
import { updateComplianceSettings } from "../src/services/compliance.ts";
import { createImport } from "../src/services/imports.ts";
import { createList } from "../src/services/lists.ts";
import { getCampaign } from "../src/storage/campaigns.ts";
import { packContact } from "../src/storage/contacts.ts";
import { createSystem } from "../src/system.ts";
import { benchCompany, freePort, seedTwilioCallbacks } from "./bench-fixtures.ts";

const arg = argNumber;
const ROWS = arg("rows", 10_000_000);
const MESSAGES = arg("messages", 400_000);
const SECONDS = arg("seconds", 30);
const RATE = arg("rate", 300);
const SEND_RATE = 5_000;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const dir = mkdtempSync(join(tmpdir(), "pombo-bench-mixed-"));
const csv = join(dir, "contacts.csv");
console.log(`generating ${fmt(ROWS)} rows…`);
execFileSync("bun", [join(import.meta.dir, "gen-csv.ts"), csv, String(ROWS), "--json"], { maxBuffer: 1 << 20 });
const dataDir = join(dir, "data");
execFileSync("bun", [join(import.meta.dir, "build-geo.ts")], { env: { ...process.env, DATA_DIR: dataDir }, stdio: "ignore" });

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "warn", BASE_URL: base, MAPPED_MEMORY_MB: process.env.MAPPED_MEMORY_MB }, join(dir, ".env"));
const sys = createSystem(config, systemClock, createLogger("warn"));
const { auth, token } = await benchCompany(sys);
const companyId = auth.company.id;
await updateComplianceSettings(sys.deps, companyId, { quietHours: { start: "00:00", end: "00:00" } });

// The campaign: a sandbox account whose quota is 5,000 messages/s, and a list of MESSAGES contacts.
const sandbox = await createAccount(sys.deps, companyId, { name: "sandbox", driver: "sandbox", config: { deliveryDelayMs: 1000 }, perMinuteCap: SEND_RATE * 60 });
await addNumber(sys.deps, companyId, sandbox.id, { number: "12345", type: "short_code", mps: Math.ceil(SEND_RATE / 0.9) + 1 });
const list = createList(sys.deps, companyId, "campaign");
const s = sys.deps.storage;
const geo = { country: "US", region: "DC", city: "Washington", timezone: "America/New_York", carrier: "" };
for (let i = 0; i < MESSAGES; i += 10_000) {
  await s.env.transaction(() => {
    for (let j = i; j < Math.min(MESSAGES, i + 10_000); j++) s.db("contacts").putSync([companyId, list.id, `+1303${String(1000000 + j)}`], packContact({ v: 1, fields: {}, geo }));
  });
}
await s.env.transaction(() => s.db("lists").putSync([companyId, list.id], { ...list, contacts: MESSAGES }));
const campaign = await createCampaign(sys.deps, auth, { name: "mixed", accountId: sandbox.id, listIds: [list.id], body: "Hello from the mixed bench" });

// Probes: API reads and signed Twilio callbacks for messages already sent.
const { requests } = await seedTwilioCallbacks(sys, companyId, base, RATE * SECONDS * 2 + 1000);
const authz = { authorization: `Bearer ${token}` };
const reads = [`/api/v1/campaigns/${campaign.id}`, "/api/v1/lists", "/api/v1/queues", `/api/v1/messages?campaignId=${campaign.id}&limit=20`, "/api/v1/me"];
async function probeFile(offset: number): Promise<string> {
  const probes = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    if (i % 2 === 0) probes.push({ kind: "api", url: base + reads[(i / 2) % reads.length], method: "GET", headers: authz });
    else probes.push({ kind: "webhook", method: "POST", ...requests[offset + i]! });
  }
  const f = join(dir, `probes-${offset}.json`);
  await Bun.write(f, JSON.stringify(probes));
  return f;
}
async function probe(label: string, file: string) {
  const out = join(dir, `${label}.json`);
  await Bun.spawn(["bun", join(import.meta.dir, "bench-probe-client.ts"), "--probes", file, "--rate", String(RATE), "--seconds", String(SECONDS), "--out", out]).exited;
  const r = (await Bun.file(out).json()) as { latencies: Record<string, number[]>; errors: number };
  const line = Object.entries(r.latencies).map(([kind, l]) => {
    l.sort((a, b) => a - b);
    const pct = (p: number) => l[Math.min(l.length - 1, Math.floor((p / 100) * l.length))]!.toFixed(1);
    return `${kind} p50 ${pct(50)} ms p99 ${pct(99)} ms (${l.length})`;
  });
  console.log(`${label}: ${line.join("; ")}; errors ${r.errors}`);
  return Object.fromEntries(Object.entries(r.latencies).map(([k, l]) => [k, l[Math.min(l.length - 1, Math.floor(0.99 * l.length))]!]));
}

const files = [await probeFile(0), await probeFile(RATE * SECONDS)];
const server = sys.app.listen({ port, hostname: "127.0.0.1" });
sys.runner.start();
while (getCampaign(s, companyId, campaign.id)!.status !== "paused") await Bun.sleep(50);
const idle = await probe("idle (peer)", files[0]!);

// Load: the import and the campaign at 5,000/s (the tick spreads each minute's quota evenly).
// --no-import / --no-campaign leave one of the two out, to see which one costs what.
const importList = createList(sys.deps, companyId, "import");
const imp = process.argv.includes("--no-import") ? undefined : createImport(sys.deps, companyId, importList.id, { path: csv, bytes: statSync(csv).size, ownsFile: false });
if (!process.argv.includes("--no-campaign")) {
  await changeCampaignStatus(sys.deps, auth, campaign.id, "start");
  void sys.tick();
}
// Event-loop lag while loaded: how late a 5 ms timer fires (what every request waits behind, at worst).
const lags: number[] = [];
let lastTick = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  lags.push(now - lastTick - 5);
  lastTick = now;
}, 5);
const t0 = performance.now();
const loaded = await probe("under load", files[1]!);
const secs = (performance.now() - t0) / 1000;
clearInterval(lagTimer);
lags.sort((a, b) => a - b);
const lagAt = (p: number) => Math.max(0, lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]!).toFixed(1);
console.log(`event-loop lag under load: p50 ${lagAt(0.5)} ms, p99 ${lagAt(0.99)} ms, max ${lagAt(1)} ms`);
const c = campaignView(sys.deps, getCampaign(s, companyId, campaign.id)!);
const importRec = (imp ? s.db("imports").get([companyId, imp.id]) : { rows: 0, status: "not run" }) as { rows: number; status: string };
console.log(`during the window: import ${fmt(importRec.rows)} rows (${fmt(importRec.rows / secs)} rows/s, ${importRec.status}); campaign sent ${fmt(c.counts.sent + c.counts.delivered)} (${fmt((c.counts.sent + c.counts.delivered) / secs)} messages/s)`);
for (const kind of Object.keys(loaded)) {
  console.log(`${kind}: p99 ${loaded[kind]!.toFixed(1)} ms under load vs ${idle[kind]!.toFixed(1)} ms idle (${(loaded[kind]! / idle[kind]!).toFixed(1)}x; target ≤ 50 ms) ${loaded[kind]! <= 50 ? "OK" : "OVER"}`);
}
await server.stop(true);
await sys.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
