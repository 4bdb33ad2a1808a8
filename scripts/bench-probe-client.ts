/**
 * Probe client for bench:mixed (runs in its own process): sends a steady, open-loop stream of requests —
 * API reads with a bearer token and signed provider webhooks — at `--rate` per second for `--seconds`, and
 * writes each kind's latencies (ms) to `--out`. Open loop: a slow answer does not slow the probe down.
 */
import { argString } from "./bench-args.ts";

const arg = argString;
type Probe = { kind: string; url: string; method: string; headers: Record<string, string>; body?: string };
const probes = (await Bun.file(arg("probes", "")).json()) as Probe[];
const rate = Number(arg("rate", "200"));
const seconds = Number(arg("seconds", "10"));
const out: Record<string, number[]> = {};
let errors = 0;
const inflight: Promise<void>[] = [];
const t0 = performance.now();
for (let i = 0; i < rate * seconds; i++) {
  const due = t0 + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await Bun.sleep(wait);
  const p = probes[i % probes.length]!;
  const start = performance.now();
  inflight.push(
    fetch(p.url, { method: p.method, headers: p.headers, body: p.body })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status >= 300) errors++;
        (out[p.kind] ??= []).push(performance.now() - start);
      })
      .catch(() => void errors++),
  );
}
await Promise.all(inflight);
await Bun.write(arg("out", "/dev/stdout"), JSON.stringify({ latencies: out, errors }));
process.exit(0);
