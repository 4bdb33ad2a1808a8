/**
 * Sending benchmark (not a test).
 *   bun run bench:send [-- --n 1000000]     throughput: an N-message campaign through the sandbox with the
 *                                           quota out of the way, from start to every message delivered
 *                                           (send jobs, provider ids, delivery reports through the webhooks
 *                                           queue, counters); the peer is bare LMDB doing the same message
 *                                           state writes (queued → sending → sent → delivered) in batches.
 *   bun run bench:send -- --pacing [--minutes 3]   pacing with the real clock on a 6,000/min account: per-minute
 *                                           counts within ±1% of quota, no 1-second window above 1.2 × quota/60.
 */
import { argNumber } from "./bench-args.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import type { AuthContext } from "../src/deps.ts";
import { createLogger } from "../src/log.ts";
import { addNumber, createAccount } from "../src/services/accounts.ts";
import { createUser } from "../src/services/auth.ts";
import { campaignView, changeCampaignStatus, createCampaign } from "../src/services/campaigns.ts";
import { updateComplianceSettings } from "../src/services/compliance.ts";
import { createList } from "../src/services/lists.ts";
import { getCampaign } from "../src/storage/campaigns.ts";
import { packContact } from "../src/storage/contacts.ts";
import { openStorage } from "../src/storage/db.ts";
import { createSystem, type System } from "../src/system.ts";
import { sampleRss } from "./bench-queue-bullmq.ts";

const arg = argNumber;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const phone = (i: number) => `+1202${String(1000000 + i).padStart(7, "0")}`;

async function setup(sys: System, n: number, mps: number) {
  const { user, company } = await createUser(sys.deps, { email: "bench@pombo.test", password: "bench-password", company: "Bench" });
  const auth: AuthContext = { user: { id: user.id, email: user.email, role: user.role }, company: { id: company.id, name: company.name } };
  await updateComplianceSettings(sys.deps, company.id, { quietHours: { start: "00:00", end: "00:00" } });
  const account = await createAccount(sys.deps, company.id, { name: "sandbox", driver: "sandbox", config: { deliveryDelayMs: 0 } });
  await addNumber(sys.deps, company.id, account.id, { number: "12345", type: "short_code", mps });
  const list = createList(sys.deps, company.id, "bench");
  const s = sys.deps.storage;
  const geo = { country: "US", region: "DC", city: "Washington", timezone: "America/New_York", carrier: "" };
  for (let i = 0; i < n; i += 10_000) {
    await s.env.transaction(() => {
      for (let j = i; j < Math.min(n, i + 10_000); j++) s.db("contacts").putSync([company.id, list.id, phone(j)], packContact({ v: 1, fields: { first_name: `N${j}` }, geo }));
    });
  }
  await s.env.transaction(() => s.db("lists").putSync([company.id, list.id], { ...list, contacts: n }));
  const c = await createCampaign(sys.deps, auth, { name: "bench", accountId: account.id, listIds: [list.id], body: "Hi {{first_name}}, our sale ends today!" });
  return { auth, campaignId: c.id };
}

async function waitFor(cond: () => boolean, onTick?: () => void): Promise<void> {
  while (!cond()) {
    onTick?.();
    await Bun.sleep(20);
  }
}

async function throughput(n: number) {
  const dir = mkdtempSync(join(tmpdir(), "pombo-bench-send-"));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "warn", BASE_URL: "http://bench.test", MAPPED_MEMORY_MB: process.env.MAPPED_MEMORY_MB }, join(dir, ".env"));
  const sys = createSystem(config, systemClock, createLogger("warn"));
  const { auth, campaignId } = await setup(sys, n, Math.ceil(n / 54) + 1);
  const view = () => campaignView(sys.deps, getCampaign(sys.deps.storage, auth.company.id, campaignId)!);
  sys.runner.start();
  let t0 = performance.now();
  await waitFor(() => view().status === "paused");
  const genMs = performance.now() - t0;
  const peak = sampleRss();
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  await changeCampaignStatus(sys.deps, auth, campaignId, "start");
  await sys.tick({ spreadMs: 0 });
  const queuedMs = performance.now() - t0;
  await waitFor(() => view().counts.delivered === n);
  const totalMs = performance.now() - t0;
  const rss = peak();
  const cpu = process.cpuUsage(cpu0);
  const cpuShare = (cpu.user + cpu.system) / 1000 / totalMs;
  const counts = view().counts;
  await sys.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`pombo: ${fmt(n)} messages generated in ${(genMs / 1000).toFixed(2)} s; start → all queued ${(queuedMs / 1000).toFixed(2)} s; start → all delivered ${(totalMs / 1000).toFixed(2)} s = ${fmt((n * 1000) / totalMs)} messages/s; peak RSS ${rss} MB; CPU ${(cpuShare * 100).toFixed(0)}% of one core`);
  console.log(`       counts: total ${fmt(counts.total)}, delivered ${fmt(counts.delivered)}, failed ${counts.failed}, queued ${counts.queued}, pending ${counts.pending}`);
  return (n * 1000) / totalMs;
}

/** The floor: the same four message-state writes per message, batched 2,000 per transaction, on bare LMDB. */
async function bareLmdb(n: number) {
  const dir = mkdtempSync(join(tmpdir(), "pombo-bench-lmdb-"));
  const s = openStorage(dir);
  const db = s.db("messages");
  const t0 = performance.now();
  for (const status of ["queued", "sending", "sent", "delivered"]) {
    for (let i = 0; i < n; i += 2_000) {
      await s.env.transaction(() => {
        for (let j = i; j < Math.min(n, i + 2_000); j++) {
          const m = (db.get(`m${j}`) as object | undefined) ?? { to: phone(j), body: `Hi N${j}, our sale ends today!` };
          db.putSync(`m${j}`, { ...m, status });
        }
      });
    }
  }
  const ms = performance.now() - t0;
  await s.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`peer (bare LMDB, 4 state writes per message, batched): ${fmt((n * 1000) / ms)} messages/s`);
  return (n * 1000) / ms;
}

async function pacing(minutes: number) {
  const dir = mkdtempSync(join(tmpdir(), "pombo-bench-pace-"));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "warn", BASE_URL: "http://bench.test", MAPPED_MEMORY_MB: process.env.MAPPED_MEMORY_MB }, join(dir, ".env"));
  const sys = createSystem(config, systemClock, createLogger("warn"));
  const quota = 6000;
  const { auth, campaignId } = await setup(sys, quota * (minutes + 1), quota / 54);
  const sentAt: number[] = [];
  const driver = sys.deps.drivers.get("sandbox")!;
  const send = driver.send.bind(driver);
  driver.send = async (...a) => (sentAt.push(Date.now()), send(...a));
  sys.runner.start();
  await waitFor(() => getCampaign(sys.deps.storage, auth.company.id, campaignId)!.status === "paused");
  await changeCampaignStatus(sys.deps, auth, campaignId, "start");
  await Bun.sleep(60_000 - (Date.now() % 60_000)); // align to the minute, as the cron does
  const t0 = Date.now();
  for (let m = 0; m < minutes; m++) {
    await sys.tick();
    await Bun.sleep(t0 + (m + 1) * 60_000 - Date.now());
  }
  await sys.close();
  rmSync(dir, { recursive: true, force: true });
  let worstSecond = 0;
  for (let m = 0; m < minutes; m++) {
    const inMinute = sentAt.filter((t) => t >= t0 + m * 60_000 && t < t0 + (m + 1) * 60_000);
    const perSec = new Map<number, number>();
    for (const t of inMinute) perSec.set(Math.floor(t / 1000), (perSec.get(Math.floor(t / 1000)) ?? 0) + 1);
    const maxSec = Math.max(...perSec.values());
    if (process.env.PACE_DEBUG) console.log([...perSec].sort((a, b) => a[0] - b[0]).slice(0, 8).map(([k, v]) => `${k - Math.floor((t0 + m * 60_000) / 1000)}s:${v}`).join(" "));
    worstSecond = Math.max(worstSecond, maxSec);
    console.log(`minute ${m + 1}: ${inMinute.length} sent (${((inMinute.length / quota - 1) * 100).toFixed(2)}% vs quota ${quota}); busiest second ${maxSec} (limit ${1.2 * quota / 60})`);
  }
  console.log(`pacing ${worstSecond <= 1.2 * quota / 60 ? "OK" : "OVER"}: busiest second ${worstSecond} / ${1.2 * quota / 60}`);
}

if (process.argv.includes("--pacing")) {
  await pacing(arg("minutes", 3));
} else {
  const n = arg("n", 1_000_000);
  const ours = await throughput(n);
  const peer = await bareLmdb(n);
  console.log(`ratio pombo / bare LMDB state writes: ${(ours / peer).toFixed(2)}x (target: ≥ 10,000 messages/s end to end)`);
}
process.exit(0);
