/**
 * The chaos suite (`bun run test:chaos`): the real process (`bun src/main.ts`) on loopback with a fake Twilio,
 * a big CSV import, a campaign, and a flood of signed delivery reports, replies (some STOP) and manual
 * suppressions, all at once, while the process is killed with SIGKILL at random moments and restarted. Then
 * every promise is checked against the ground truth kept here, and the figures are printed. Exit code 1 when a
 * check fails.
 *
 *   bun scripts/chaos.ts [--rows 1000000] [--messages 200000] [--kills 20] [--seed N] [--keep]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FakeClock } from "../src/clock.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { QUEUES } from "../src/queue/queues.ts";
import { STOP_CONFIRMATION } from "../src/services/inbound.ts";
import { readCounts } from "../src/storage/campaigns.ts";
import { listContacts } from "../src/storage/contacts.ts";
import { openStorage, type Storage } from "../src/storage/db.ts";
import { getImport } from "../src/storage/imports.ts";
import { getList } from "../src/storage/lists.ts";
import { getMessage, messageIdByProviderId } from "../src/storage/messages.ts";
import { isSuppressed } from "../src/storage/suppressions.ts";
import type { WebhookRequest } from "../src/drivers/driver.ts";
import { startFakeTwilio, type FakeTwilio } from "../test/helpers/fake-twilio.ts";
import { apiLogin, runCli, startPombo, type ApiClient, type PomboProcess } from "../test/helpers/pombo-process.ts";
import { phones } from "../test/helpers/system.ts";
import { generateCsv, type GenCounts } from "./gen-csv.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    messages: { type: "string", default: "200000" },
    kills: { type: "string", default: "20" },
    seed: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const ROWS = Number(args.rows);
const MESSAGES = Number(args.messages);
const KILLS = Number(args.kills);
const STOPS = Math.max(5, Math.floor(MESSAGES / 100)); // recipients who text STOP during the run
const MANUAL = Math.max(5, Math.floor(MESSAGES / 200)); // recipients suppressed through the API during the run
const REPLIES = Math.max(20, Math.floor(MESSAGES / 20)); // plain replies from other numbers
const BODY = "Spring sale: 20% off today only";
const OUR_NUMBER = "+12025550100";
const EMAIL = "chaos@acme.test";
const PASSWORD = "correct horse battery";

let seed = Number(args.seed ?? Date.now() % 1_000_000);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[chaos ${elapsed()}] ${line}`);

// Sends are paced over each tick; the tick runs every 2 s; each hands out mps × 54 messages (≈ 10 ticks per campaign).
const MPS = Math.max(10, Math.ceil(MESSAGES / 10 / 54));
const ENV = { TICK_CRON: "*/2 * * * * *", TICK_SPREAD_MS: "2000", COMPLETION_WAIT_MS: "0", RECONCILE_DELAY_MS: "500", LOOKUP_LAG_MS: "0", LOG_LEVEL: "info" };

/** The live process, replaced on every restart; `up` resolves when the current one is healthy. */
const live: { p?: PomboProcess; up: Promise<void>; markUp?: () => void; api?: ApiClient; done: boolean } = { up: Promise.resolve(), done: false };

async function start(dir: string): Promise<void> {
  live.p = await startPombo(dir, ENV);
  live.markUp?.();
}

function markDown(): void {
  const { promise, resolve } = Promise.withResolvers<void>();
  live.up = promise;
  live.markUp = resolve;
}

/** Runs `fn` against the live process, waiting out restarts; a non-connection failure is thrown. */
async function withLive<T>(fn: (p: PomboProcess) => Promise<T>): Promise<T> {
  for (;;) {
    await live.up;
    const p = live.p!;
    try {
      return await fn(p);
    } catch (e) {
      if (p !== live.p || p.proc.exitCode !== null || p.proc.signalCode !== null || isConnectionError(e)) {
        await Bun.sleep(20); // the process is gone: wait for its successor (live.up)
        continue;
      }
      throw e;
    }
  }
}

function isConnectionError(e: unknown): boolean {
  const text = String((e as Error)?.message ?? e) + String((e as { code?: string })?.code ?? "");
  return /ECONNREFUSED|ECONNRESET|socket|closed|connect|Unable to connect|EPIPE/i.test(text);
}

/** POSTs a signed provider webhook; true once answered 200 (then it must be applied), retried across restarts. */
async function postWebhook(req: WebhookRequest): Promise<void> {
  const path = new URL(req.url).pathname;
  await withLive(async (p) => {
    const res = await fetch(`${p.url}${path}`, { method: "POST", headers: req.headers, body: req.body });
    await res.text();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  });
}

/** Calls the API across restarts (the session is durable). */
const clients = new WeakMap<PomboProcess, ApiClient>();
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return withLive(async (p) => {
    let client = clients.get(p);
    if (!client) clients.set(p, (client = await apiLogin(p.url, EMAIL, PASSWORD)));
    return client.call(method, path, body);
  });
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

interface Truth {
  gen: GenCounts;
  campaignPhones: string[];
  stopPhones: Set<string>;
  manualPhones: Set<string>;
  ackedReports: Map<string, string>; // sid → status reported
  ackedReplies: string[]; // MessageSids of replies answered 200
  ackedStops: string[]; // phones whose STOP was answered 200
  ackedManual: string[]; // phones whose suppression POST was answered 201
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "pombo-chaos-"));
  const twilio = startFakeTwilio();
  say(`data ${dir}; ${ROWS} rows, ${MESSAGES} messages, ${KILLS} kills, seed ${seed}`);
  const bigCsv = join(dir, "big.csv");
  const gen = await generateCsv(bigCsv, { rows: ROWS }, true);
  const campaignPhones = phones(MESSAGES, 720); // an area the generated file never uses
  const truth: Truth = {
    gen, campaignPhones,
    stopPhones: new Set(campaignPhones.filter((_, i) => i % Math.floor(MESSAGES / STOPS) === 1).slice(0, STOPS)),
    manualPhones: new Set(campaignPhones.filter((_, i) => i % Math.floor(MESSAGES / MANUAL) === 2).slice(0, MANUAL)),
    ackedReports: new Map(), ackedReplies: [], ackedStops: [], ackedManual: [],
  };
  try {
    say("creating the owner");
    await runCli(dir, ["user", "add", "--email", EMAIL, "--password", PASSWORD, "--company", "Acme"]);
    say("starting pombo");
    await start(dir);
    say("setting up");
    const ids = await setUp(dir, twilio);
    say(`campaign ${ids.campaignId} started; import ${ids.importId} of ${ROWS} rows queued`);
    const flood = runFlood(twilio, ids.accountId, truth);
    const kills = await killAtRandom(dir);
    await waitUntilDone(twilio, ids, truth);
    live.done = true;
    await flood;
    live.p!.kill("SIGTERM");
    const code = await live.p!.exited;
    say(`all work done; stopped with SIGTERM (exit ${code})`);
    const failures = await verify(dir, twilio, ids, truth, kills);
    if (code !== 0) failures.push(`SIGTERM exit code ${code}`);
    if (failures.length) {
      console.log(`\nCHAOS FAILED (${failures.length}):\n  ${failures.slice(0, 40).join("\n  ")}`);
      return 1;
    }
    console.log("\nCHAOS PASSED: nothing lost, nothing doubled");
    return 0;
  } finally {
    if (live.p && live.p.proc.exitCode === null && live.p.proc.signalCode === null) live.p.kill("SIGKILL");
    await twilio.stop();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

type Ids = { companyId: string; accountId: string; campaignId: string; bigListId: string; importId: string };

async function setUp(dir: string, twilio: FakeTwilio): Promise<Ids> {
  const client = await apiLogin(live.p!.url, EMAIL, PASSWORD);
  const companyId = (await client.call("GET", "/api/v1/me")).body.company.id;
  await client.call("PUT", "/api/v1/settings/compliance", { quietHours: { start: "00:00", end: "00:00" } });
  const account = await client.call("POST", "/api/v1/accounts", {
    name: "Twilio", driver: "twilio", config: { accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url },
  });
  await client.call("POST", `/api/v1/accounts/${account.body.id}/numbers`, { number: OUR_NUMBER, type: "short_code", mps: MPS });
  const list = await client.call("POST", "/api/v1/lists", { name: "Campaign list" });
  const csv = "phone,first_name\n" + (await campaignCsvRows()) + "\n";
  const small = await client.call("POST", `/api/v1/lists/${list.body.id}/imports`, csv);
  for (;;) {
    const r = await client.call("GET", `/api/v1/imports/${small.body.id}`);
    if (r.body.status === "done") break;
    if (r.body.status === "failed") throw new Error(`campaign list import failed: ${r.body.error}`);
    await Bun.sleep(100);
  }
  const c = await client.call("POST", "/api/v1/campaigns", { name: "Chaos", accountId: account.body.id, listIds: [list.body.id], body: BODY });
  await client.call("POST", `/api/v1/campaigns/${c.body.id}/start`);
  const big = await client.call("POST", "/api/v1/lists", { name: "Big import" });
  const imp = await fetch(`${live.p!.url}/api/v1/lists/${big.body.id}/imports`, {
    method: "POST", headers: { "content-type": "text/csv", cookie: await cookie() }, body: Bun.file(join(dir, "big.csv")),
  });
  if (imp.status !== 202) throw new Error(`big import answered ${imp.status}: ${await imp.text()}`);
  return { companyId, accountId: account.body.id, campaignId: c.body.id, bigListId: big.body.id, importId: ((await imp.json()) as { id: string }).id };

  async function campaignCsvRows() {
    return phones(MESSAGES, 720).map((p, i) => `${p},Friend${i}`).join("\n");
  }
  async function cookie() {
    const res = await fetch(`${live.p!.url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  }
}

/** Delivery reports for everything the fake has taken, replies, STOPs and manual suppressions, concurrently. */
async function runFlood(twilio: FakeTwilio, accountId: string, truth: Truth): Promise<void> {
  const hookUrl = `http://pombo.test/webhooks/twilio/${accountId}`;
  const replies = phones(REPLIES, 971).map((from, i) => twilio.inbound(hookUrl, { from, to: OUR_NUMBER, body: `thanks ${i}` }));
  const stops = [...truth.stopPhones].map((from) => ({ from, req: twilio.inbound(hookUrl, { from, to: OUR_NUMBER, body: " Stop " }) }));
  const manual = [...truth.manualPhones];
  const reporter = (async () => {
    let reported = 0;
    while (!live.done || reported < twilio.messages.length) {
      const batch = twilio.messages.slice(reported);
      reported += batch.length;
      await pool(batch, 32, async (m) => {
        await postWebhook(twilio.statusCallback(m.sid, "delivered"));
        truth.ackedReports.set(m.sid, "delivered");
      });
      if (batch.length === 0) await Bun.sleep(50);
    }
  })();
  const others = pool([...replies.map((r) => ({ kind: "reply" as const, r })), ...stops.map((s) => ({ kind: "stop" as const, s })), ...manual.map((phone) => ({ kind: "manual" as const, phone }))], 8, async (w) => {
    if (w.kind === "reply") {
      await postWebhook(w.r);
      truth.ackedReplies.push(new URLSearchParams(w.r.body).get("MessageSid")!);
    } else if (w.kind === "stop") {
      await postWebhook(w.s.req);
      truth.ackedStops.push(w.s.from);
    } else {
      const r = await api("POST", "/api/v1/suppressions", { phone: w.phone, reason: "chaos manual" });
      if (r.status !== 201 && r.status !== 200) throw new Error(`suppression answered ${r.status}: ${JSON.stringify(r.body)}`);
      truth.ackedManual.push(w.phone);
    }
    await Bun.sleep(random() * 20); // spread these over the run
  });
  await Promise.all([reporter, others]);
}

/** SIGKILLs the live process KILLS times, each at a random moment of its life, restarting it each time. */
async function killAtRandom(dir: string): Promise<number> {
  let kills = 0;
  for (let i = 0; i < KILLS; i++) {
    await Bun.sleep(300 + random() * (ROWS + MESSAGES > 100_000 ? 4_000 : 1_200));
    markDown();
    live.p!.kill("SIGKILL");
    await live.p!.exited;
    kills++;
    await start(dir);
    say(`kill ${kills}/${KILLS} done, restarted on port ${live.p!.port}`);
  }
  return kills;
}

/** Waits (on observed state, polled) until import, campaign, reports, replies and queues are all finished. */
async function waitUntilDone(twilio: FakeTwilio, ids: Ids, truth: Truth): Promise<void> {
  let last = "";
  for (;;) {
    const imp = (await api("GET", `/api/v1/imports/${ids.importId}`)).body;
    const c = (await api("GET", `/api/v1/campaigns/${ids.campaignId}`)).body;
    const queues = (await api("GET", "/api/v1/queues")).body as Array<{ name: string; depth: number; delayed: number; running: number }>;
    const busy = queues.filter((q) => q.depth + q.delayed + q.running > 0).map((q) => q.name);
    const reportsLeft = twilio.messages.length - truth.ackedReports.size;
    const floodLeft = REPLIES + truth.stopPhones.size + truth.manualPhones.size - truth.ackedReplies.length - truth.ackedStops.length - truth.ackedManual.length;
    const line = `import ${imp.status} ${imp.imported}/${truth.gen.valid}; campaign ${c.status} sent ${c.counts.sent + c.counts.delivered}, open ${c.counts.pending + c.counts.queued}; reports left ${reportsLeft}; replies left ${floodLeft}; busy queues ${busy.join(",") || "none"}`;
    if (line !== last) say(line);
    last = line;
    if (imp.status === "failed") throw new Error(`big import failed: ${imp.error}`);
    if (imp.status === "done" && c.counts.pending + c.counts.queued === 0 && reportsLeft === 0 && floodLeft === 0 && busy.length === 0) return;
    await Bun.sleep(250);
  }
}

/** Every promise, checked on the stopped process's data against the suite's ground truth. */
async function verify(dir: string, twilio: FakeTwilio, ids: Ids, truth: Truth, kills: number): Promise<string[]> {
  const bad: string[] = [];
  const s = openStorage(dir);
  try {
    const fig: Record<string, number | string> = { kills };
    checkImport(s, ids, truth, bad, fig);
    checkCampaign(s, twilio, ids, truth, bad, fig);
    checkWebhooks(s, twilio, ids, truth, bad, fig);
    const queue = new JobQueue({ storage: s, clock: new FakeClock(), queues: QUEUES });
    const dead = queue.stats().reduce((n, q) => n + q.failed, 0);
    if (dead) bad.push(`${dead} dead-lettered jobs`);
    fig["dead-lettered jobs"] = dead;
    fig["provider look-ups (reconcile)"] = twilio.requests.filter((r) => r.method === "GET").length;
    fig["elapsed"] = elapsed();
    console.log("\nchaos figures:");
    for (const [k, v] of Object.entries(fig)) console.log(`  ${k.padEnd(44)} ${v}`);
  } finally {
    await s.close();
  }
  return bad;
}

function checkImport(s: Storage, ids: Ids, truth: Truth, bad: string[], fig: Record<string, number | string>): void {
  const rec = getImport(s, ids.companyId, ids.importId)!;
  const want = { rows: truth.gen.rows, imported: truth.gen.valid, duplicates: truth.gen.duplicates, invalid: truth.gen.invalid, suppressed: 0 };
  const got = { rows: rec.rows, imported: rec.imported, duplicates: rec.duplicates, invalid: rec.invalid, suppressed: rec.suppressed };
  if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`import counters ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
  const expected = new Set(truth.gen.phones);
  let stored = 0;
  let unexpected = 0;
  let cursor: string | undefined;
  do {
    const page = listContacts(s, ids.companyId, ids.bigListId, 10_000, cursor);
    for (const c of page.items) {
      stored++;
      if (!expected.delete(c.phone)) unexpected++;
    }
    cursor = page.next;
  } while (cursor);
  const listCount = getList(s, ids.companyId, ids.bigListId)?.contacts;
  if (expected.size) bad.push(`${expected.size} contacts of the file missing`);
  if (unexpected) bad.push(`${unexpected} contacts stored that the file does not hold (or twice)`);
  if (listCount !== stored) bad.push(`list says ${listCount} contacts, ${stored} stored`);
  Object.assign(fig, { "rows in the file": truth.gen.rows, "contacts expected (distinct valid)": truth.gen.valid, "contacts stored": stored, "contacts missing": expected.size, "contacts extra/doubled": unexpected });
}

function checkCampaign(s: Storage, twilio: FakeTwilio, ids: Ids, truth: Truth, bad: string[], fig: Record<string, number | string>): void {
  const atFake = new Map<string, Array<{ sid: string }>>();
  for (const m of twilio.messages) if (m.body === BODY) atFake.set(m.to, [...(atFake.get(m.to) ?? []), { sid: m.sid }]);
  const recount: Record<string, number> = {};
  const skipReasons: Record<string, number> = {};
  let twice = 0;
  let missing = 0;
  let wronglySkipped = 0;
  for (const phone of truth.campaignPhones) {
    const id = s.db("campaignMessages").get([ids.campaignId, phone]) as string | undefined;
    const m = id ? getMessage(s, id) : undefined;
    const sent = atFake.get(phone) ?? [];
    if (sent.length > 1) twice++;
    if (!m) {
      missing++;
      continue;
    }
    recount[m.status] = (recount[m.status] ?? 0) + 1;
    if (m.status === "skipped") {
      skipReasons[m.reason ?? "?"] = (skipReasons[m.reason ?? "?"] ?? 0) + 1;
      if (m.reason !== "suppressed" || !isSuppressed(s, ids.companyId, phone) || sent.length) wronglySkipped++;
    } else if (m.status === "sent" || m.status === "delivered") {
      if (sent.length !== 1 || sent[0]!.sid !== m.providerId) missing++;
    } else missing++; // pending, queued, sending, unknown, failed: not sent as it should have been
  }
  const counts = readCounts(s, ids.campaignId);
  for (const status of ["pending", "queued", "sending", "unknown", "sent", "delivered", "undelivered", "failed", "skipped"]) {
    if ((counts[status] ?? 0) !== (recount[status] ?? 0)) bad.push(`campaign counter ${status}=${counts[status] ?? 0}, recount ${recount[status] ?? 0}`);
  }
  if ((counts.total ?? 0) !== truth.campaignPhones.length) bad.push(`campaign total ${counts.total} ≠ ${truth.campaignPhones.length}`);
  for (const [reason, n] of Object.entries(skipReasons)) if ((counts[`skip:${reason}`] ?? 0) !== n) bad.push(`skip:${reason} counter ${counts[`skip:${reason}`]} ≠ recount ${n}`);
  if (twice) bad.push(`${twice} recipients got the campaign twice`);
  if (missing) bad.push(`${missing} recipients not sent (or left open) though they should have been`);
  if (wronglySkipped) bad.push(`${wronglySkipped} messages skipped without a suppression`);
  const foreign = [...atFake.keys()].filter((p) => !s.db("campaignMessages").get([ids.campaignId, p])).length;
  if (foreign) bad.push(`${foreign} numbers outside the campaign got its body`);
  let open = 0;
  let total = 0;
  for (const key of s.db("messages").getKeys()) {
    const st = getMessage(s, key as string)?.status;
    total++;
    if (st === "pending" || st === "queued" || st === "sending" || st === "unknown") open++;
  }
  if (open) bad.push(`${open} messages left pending/queued/sending/unknown`);
  Object.assign(fig, {
    "campaign messages": truth.campaignPhones.length, "sent once (fake count = 1)": (recount.sent ?? 0) + (recount.delivered ?? 0),
    "sent twice": twice, "should have been sent, were not": missing, "skipped (suppressed during the run)": skipReasons.suppressed ?? 0,
    "counters = recount": bad.some((b) => b.startsWith("campaign counter")) ? "NO" : "yes",
    "messages in the store (all kinds)": total, "messages left open (pending/queued/sending/unknown)": open,
  });
}

function checkWebhooks(s: Storage, twilio: FakeTwilio, ids: Ids, truth: Truth, bad: string[], fig: Record<string, number | string>): void {
  let reportsLost = 0;
  for (const [sid, status] of truth.ackedReports) {
    const id = messageIdByProviderId(s, ids.accountId, sid);
    const m = id ? getMessage(s, id) : undefined;
    if (m?.status !== status) reportsLost++;
  }
  const repliesLost = truth.ackedReplies.filter((sid) => !s.db("inboundProviderIds").get([ids.accountId, sid])).length;
  const stopsLost = truth.ackedStops.filter((p) => !isSuppressed(s, ids.companyId, p)).length;
  const manualLost = truth.ackedManual.filter((p) => !isSuppressed(s, ids.companyId, p)).length;
  // One confirmation per STOP, sent exactly once.
  let confirmations = 0;
  let confirmationsWrong = 0;
  const byPhone = new Map<string, number>();
  for (const { key } of s.db("phoneMessages").getRange({ start: [ids.companyId], end: [ids.companyId, "\uffff"] })) {
    const m = getMessage(s, (key as string[])[2]!);
    if (m?.kind === "stop_confirm") byPhone.set(m.to, (byPhone.get(m.to) ?? 0) + 1);
  }
  const atFake = new Map<string, number>();
  for (const m of twilio.messages) if (m.body === STOP_CONFIRMATION) atFake.set(m.to, (atFake.get(m.to) ?? 0) + 1);
  for (const p of truth.ackedStops) {
    const n = byPhone.get(p) ?? 0;
    confirmations += n;
    if (n !== 1 || atFake.get(p) !== 1) confirmationsWrong++;
  }
  if (reportsLost) bad.push(`${reportsLost} acknowledged delivery reports not applied`);
  if (repliesLost) bad.push(`${repliesLost} acknowledged replies not stored`);
  if (stopsLost) bad.push(`${stopsLost} acknowledged STOPs without a suppression`);
  if (manualLost) bad.push(`${manualLost} suppressions answered 201 but missing`);
  if (confirmationsWrong) bad.push(`${confirmationsWrong} STOPs without exactly one confirmation`);
  Object.assign(fig, {
    "delivery reports acknowledged": truth.ackedReports.size, "delivery reports lost": reportsLost,
    "replies acknowledged": truth.ackedReplies.length, "replies lost": repliesLost,
    "STOPs acknowledged": truth.ackedStops.length, "STOP confirmations": confirmations, "STOPs without suppression": stopsLost,
    "manual suppressions": truth.ackedManual.length, "manual suppressions missing": manualLost,
  });
}

process.exit(await main());
