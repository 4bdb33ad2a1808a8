import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WebhookRequest } from "../../src/drivers/driver.ts";
import { openStorage } from "../../src/storage/db.ts";
import { getMessage, messageIdByProviderId } from "../../src/storage/messages.ts";
import { isSuppressed } from "../../src/storage/suppressions.ts";
import { runChild, type ChildControl } from "../helpers/child-process.ts";
import { startFakeTwilio } from "../helpers/fake-twilio.ts";
import { phones } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const N = 2_000; // campaign messages, each getting one signed "delivered" callback
const REPLIES = 1_000; // inbound replies, every 10th a STOP from a recipient
const CONCURRENCY = 32;
const SERVER = join(import.meta.dir, "fixtures", "webhook-server.ts");
const dir = mkdtempSync(join(tmpdir(), "pombo-webhooks-"));
const twilio = startFakeTwilio();
afterAll(async () => {
  await twilio.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A running child: its port and account, its latest progress line, and waits on its lines. */
function startServer(env: Record<string, string>) {
  const state = { port: 0, accountId: "", progress: "", ctl: undefined as ChildControl | undefined };
  let waiters: Array<{ ok: (line: string) => boolean; resolve: () => void }> = [];
  const exited = runChild(["bun", SERVER], env, (line, ctl) => {
    state.ctl = ctl;
    const l = /^listening port=(\d+) account=(\w+)/.exec(line);
    if (l) [state.port, state.accountId] = [Number(l[1]), l[2]!];
    if (line.startsWith("progress")) state.progress = line;
    waiters = waiters.filter((w) => (w.ok(line) ? (w.resolve(), false) : true));
  }, { timeoutMs: 90_000 });
  const waitFor = (ok: (line: string) => boolean) => new Promise<void>((resolve, reject) => {
    waiters.push({ ok, resolve });
    void exited.then(() => reject(new Error(`server exited while waiting; last line: ${state.progress}`)));
  });
  return { state, exited, waitFor };
}

const field = (req: WebhookRequest, name: string) => new URLSearchParams(req.body).get(name)!;

test("every webhook answered 200 is applied, though the process is SIGKILLed twice mid-flood", async () => {
  const env = { DATA_DIR: dir, TWILIO_URL: twilio.url, TWILIO_SID: twilio.accountSid, TWILIO_TOKEN: twilio.authToken, N: String(N), MPS: "100" };
  let server = startServer(env);
  await server.waitFor((l) => l.startsWith("listening"));
  await server.waitFor((l) => l.includes(`sent=${N} `) && l.includes(" open=0 "));
  const accountId = server.state.accountId;
  const hookUrl = `http://pombo.test/webhooks/twilio/${accountId}`;
  expect(twilio.messages.length).toBe(N);

  const recipients = phones(N);
  const reports = twilio.messages.map((m) => ({ kind: "report" as const, req: twilio.statusCallback(m.sid, "delivered") }));
  const replies = Array.from({ length: REPLIES }, (_, i) => {
    const stop = i % 10 === 0;
    const from = stop ? recipients[i]! : phones(REPLIES, 303)[i]!;
    return { kind: stop ? ("stop" as const) : ("reply" as const), from, req: twilio.inbound(hookUrl, { from, to: "+12025550100", body: stop ? "stop" : `hello ${i}` }) };
  });
  // Interleave reports and replies so both kinds are in flight at every kill.
  const all = [...reports, ...replies].map((w, i) => ({ ...w, k: (i * 7919) % (N + REPLIES) })).sort((a, b) => a.k - b.k);
  const acked = new Set<number>();
  let ackedBeforeKill = 0;

  /** Posts every unacknowledged webhook, CONCURRENCY at a time, until done or `stopAt` acks (then kills the child). */
  const flood = async (stopAt: number) => {
    const todo = all.map((_, i) => i).filter((i) => !acked.has(i));
    let next = 0;
    let dead = false;
    const worker = async () => {
      while (!dead && next < todo.length) {
        const i = todo[next++]!;
        const { req } = all[i]!;
        const path = new URL(req.url).pathname;
        try {
          const res = await fetch(`http://127.0.0.1:${server.state.port}${path}`, { method: "POST", headers: req.headers, body: req.body });
          await res.text();
          if (res.status === 200) acked.add(i);
          else throw new Error(`status ${res.status}`);
        } catch (e) {
          if (!dead) throw e;
        }
        if (!dead && acked.size >= stopAt) {
          dead = true;
          ackedBeforeKill = acked.size;
          server.state.ctl!.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };

  let kills = 0;
  for (const stopAt of [700, 1_800]) {
    await flood(stopAt);
    const r = await server.exited;
    expect(r.killed).toBe(true);
    kills++;
    server = startServer(env);
    await server.waitFor((l) => l.startsWith("listening"));
  }
  await flood(Infinity);
  expect(acked.size).toBe(all.length);
  // Applied: the webhooks queue is empty on a progress line printed after the last 200.
  await server.waitFor((l) => l.startsWith("progress") && l.endsWith(" webhooks=0"));
  server.state.ctl!.kill();
  await server.exited;

  const s = openStorage(dir);
  try {
    const seed = s.db("meta").get("e2e:seed") as { companyId: string };
    let delivered = 0;
    let inbound = 0;
    let suppressed = 0;
    for (const i of acked) {
      const w = all[i]!;
      if (w.kind === "report") {
        const id = messageIdByProviderId(s, accountId, field(w.req, "MessageSid"));
        if (id && getMessage(s, id)?.status === "delivered") delivered++;
      } else {
        if (s.db("inboundProviderIds").get([accountId, field(w.req, "MessageSid")])) inbound++;
        if (w.kind === "stop" && isSuppressed(s, seed.companyId, w.from)) suppressed++;
      }
    }
    const stops = replies.filter((r) => r.kind === "stop").length;
    expect({ delivered, inbound, suppressed }).toEqual({ delivered: N, inbound: REPLIES, suppressed: stops });
    console.log(`webhook-durability: ${all.length} webhooks acknowledged (${ackedBeforeKill} before the last of ${kills} kills), all applied`);
  } finally {
    await s.close();
  }
}, 120_000);
