/**
 * Webhook ingestion benchmark (not a test): signed Twilio status callbacks for existing messages, sent by a
 * load generator in a second process with 64 connections for 10 s, against (1) Pombo — verify the
 * signature, store durably in the webhooks queue, answer TwiML — and (2) the peer: a bare Bun.serve that
 * reads the body and answers 200. Prints requests/s, p50/p99 and the ratio, then proves that every
 * acknowledged report was applied. Usage: bun run bench:webhooks [-- --seconds 10 --connections 64]
 */
import { argNumber } from "./bench-args.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { getMessage } from "../src/storage/messages.ts";
import { createSystem } from "../src/system.ts";
import { sampleRss } from "./bench-queue-bullmq.ts";
import { benchCompany, freePort, seedTwilioCallbacks } from "./bench-fixtures.ts";

const arg = argNumber;
const SECONDS = arg("seconds", 10);
const CONNECTIONS = arg("connections", 64);
const N = arg("messages", 800_000);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const dir = mkdtempSync(join(tmpdir(), "pombo-bench-wh-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "warn", BASE_URL: base, PORT: String(port), MAPPED_MEMORY_MB: process.env.MAPPED_MEMORY_MB, JOURNAL_SYNC_MS: process.env.JOURNAL_SYNC_MS }, join(dir, ".env"));
const sys = createSystem(config, systemClock, createLogger("warn"));
const { auth } = await benchCompany(sys);
// N messages in `sent`, each with a provider id, and one signed status callback each.
const seeded = await seedTwilioCallbacks(sys, auth.company.id, base, N);
const { ids } = seeded;
const s = sys.deps.storage;
const requestsFile = join(dir, "requests.json");
const peerPort = await freePort();
const peerFile = join(dir, "peer-requests.json");
await Bun.write(requestsFile, JSON.stringify(seeded.requests));
await Bun.write(peerFile, JSON.stringify(seeded.requests.map((r) => ({ ...r, url: r.url.replace(base, `http://127.0.0.1:${peerPort}`) }))));
// The load generator reads the requests from these files: the 800,000 signed bodies must not stay in this
// process's heap, where every full collection of the server under test would mark them again.
seeded.requests.length = 0;
Bun.gc(true);

async function load(target: string, label: string) {
  const out = join(dir, `${label}.json`);
  const file = target === base ? requestsFile : peerFile;
  const child = Bun.spawn(["bun", join(import.meta.dir, "bench-webhooks-client.ts"), "--requests", file, "--connections", String(CONNECTIONS), "--seconds", String(SECONDS), "--out", out], { stdout: "inherit", stderr: "inherit" });
  await child.exited;
  const r = (await Bun.file(out).json()) as { elapsed: number; count: number; errors: number; latencies: number[]; acked: number[] };
  const sorted = r.latencies.sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const rps = r.count / r.elapsed;
  console.log(`${label}: ${fmt(rps)} req/s, p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms (${fmt(r.count)} requests, ${r.errors} errors, ${CONNECTIONS} connections, ${SECONDS} s)`);
  return { rps, acked: r.acked, p99: pct(99) };
}

// The peer: a bare Bun.serve that reads the form and answers 200.
const peer = Bun.serve({ port: peerPort, hostname: "127.0.0.1", fetch: async (req) => (await req.text(), new Response("<Response/>", { status: 200 })) });
const peerResult = await load(`http://127.0.0.1:${peerPort}`, "peer (bare Bun.serve)");
peer.stop(true);

const server = sys.app.listen({ port, hostname: "127.0.0.1" });
if (!process.argv.includes("--no-runner")) sys.runner.start();
const peak = sampleRss();
const cpu0 = process.cpuUsage();
const tLoad = performance.now();
const ours = await load(base, "pombo (verify + durable store)");
const cpu = process.cpuUsage(cpu0);
const rss = peak();
console.log(`server CPU during the load: ${(((cpu.user + cpu.system) / 1000 / (performance.now() - tLoad)) * 100).toFixed(0)}% of one core`);
console.log(`ratio pombo / bare Bun.serve: ${(ours.rps / peerResult.rps).toFixed(2)}x; peak RSS ${rss} MB (target ≥ 40,000/s, p99 ≤ 20 ms, ≥ 0.5x)`);

// Proof: every acknowledged report was applied.
const t0 = performance.now();
// Each pass reads only the reports not seen applied yet (a pass over all of them would compete with the drain).
let waiting = ours.acked;
const recheck = () => (waiting = waiting.filter((i) => getMessage(s, ids[i]!)!.status !== "delivered")).length;
while (recheck() > 0 && performance.now() - t0 < 120_000) await Bun.sleep(200);
console.log(`applied: ${fmt(ours.acked.length - waiting.length)} of ${fmt(ours.acked.length)} acknowledged reports (${waiting.length === 0 ? "none lost" : "MISSING"}), drained in ${((performance.now() - t0) / 1000).toFixed(1)} s after the load`);
await server.stop();
await sys.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
