import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { JobQueue } from "../../src/queue/queue.ts";
import { QUEUES } from "../../src/queue/queues.ts";
import { readCounts } from "../../src/storage/campaigns.ts";
import { openStorage } from "../../src/storage/db.ts";
import { getMessage } from "../../src/storage/messages.ts";
import { runChild } from "../helpers/child-process.ts";
import { startFakeTwilio } from "../helpers/fake-twilio.ts";
import { phones } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const N = 3_000;
const WORKER = join(import.meta.dir, "fixtures", "send-worker.ts");
const dir = mkdtempSync(join(tmpdir(), "pombo-send-crash-"));
const twilio = startFakeTwilio();
afterAll(async () => {
  await twilio.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("a campaign SIGKILLed mid-send several times reaches every recipient exactly once", async () => {
  const env = { DATA_DIR: dir, TWILIO_URL: twilio.url, TWILIO_SID: twilio.accountSid, TWILIO_TOKEN: twilio.authToken, N: String(N) };
  // Kill once the provider has taken this many more messages in the current run: always mid-send.
  const killAfter = [300, 500, 700, 500];
  let kills = 0;
  let done = false;
  let caughtInFlight = 0;
  for (let run = 0; run < 20 && !done; run++) {
    const startAt = twilio.messages.length;
    const step = killAfter[run];
    const r = await runChild(["bun", WORKER], env, (line, ctl) => {
      const unknown = /unknown=(\d+)/.exec(line);
      if (unknown) caughtInFlight = Math.max(caughtInFlight, Number(unknown[1]));
      if (step !== undefined && line.startsWith("progress") && twilio.messages.length - startAt >= step) ctl.kill();
    }, { timeoutMs: 60_000 });
    if (r.killed) kills++;
    done = r.lines.includes("done");
  }
  expect(done).toBe(true);
  expect(kills).toBeGreaterThanOrEqual(3);

  // At the provider: every recipient exactly once.
  const perPhone = new Map<string, number>();
  for (const m of twilio.messages) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
  const twice = [...perPhone].filter(([, k]) => k > 1);
  const missing = phones(N).filter((p) => !perPhone.has(p));
  expect({ twice: twice.length, missing: missing.length }).toEqual({ twice: 0, missing: 0 });
  expect(twilio.messages.length).toBe(N);

  // In Pombo: every message sent with the provider's sid, counters equal a recount, no job left.
  const s = openStorage(dir);
  try {
    const seed = s.db("meta").get("e2e:seed") as { campaignId: string };
    const bySid = new Map(twilio.messages.map((m) => [m.sid, m.to]));
    const recount: Record<string, number> = {};
    let matched = 0;
    for (const { value: id } of s.db("campaignMessages").getRange({ start: [seed.campaignId], end: [seed.campaignId, "\uffff"] })) {
      const m = getMessage(s, id as string)!;
      recount[m.status] = (recount[m.status] ?? 0) + 1;
      if (m.providerId && bySid.get(m.providerId) === m.to) matched++;
    }
    expect(recount).toEqual({ sent: N });
    expect(matched).toBe(N);
    const counts = readCounts(s, seed.campaignId);
    for (const status of ["pending", "queued", "sending", "unknown", "delivered", "failed", "skipped"]) expect(counts[status] ?? 0).toBe(0);
    expect({ total: counts.total, sent: counts.sent }).toEqual({ total: N, sent: N });
    const queue = new JobQueue({ storage: s, clock: new FakeClock(), queues: QUEUES });
    for (const q of queue.stats()) expect({ q: q.name, depth: q.depth, failed: q.failed }).toEqual({ q: q.name, depth: 0, failed: 0 });
    console.log(`send-crash: ${N} messages, ${kills} kills, ${caughtInFlight} at most unknown at once (caught in flight), ${twilio.requests.filter((r) => r.method === "GET").length} provider look-ups`);
  } finally {
    await s.close();
  }
}, 90_000);
