/**
 * Load generator for bench:webhooks (a second process, so the server under test has its cores to itself
 * as far as two cores allow). Reads a JSON file of pre-signed requests, keeps `--connections` requests in
 * flight for `--seconds`, and writes {count, ok, latencies (ms), acked: [index]} to `--out`.
 */
import { argString } from "./bench-args.ts";

const arg = argString;
const requests = (await Bun.file(arg("requests", "")).json()) as Array<{ url: string; headers: Record<string, string>; body: string }>;
const connections = Number(arg("connections", "64"));
const seconds = Number(arg("seconds", "10"));
const latencies: number[] = [];
const acked: number[] = [];
let next = 0;
let errors = 0;
const end = performance.now() + seconds * 1000;

async function worker() {
  while (performance.now() < end && next < requests.length) {
    const i = next++;
    const r = requests[i]!;
    const t0 = performance.now();
    try {
      const res = await fetch(r.url, { method: "POST", headers: r.headers, body: r.body });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status === 200) acked.push(i);
      else errors++;
    } catch {
      errors++;
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (performance.now() - t0) / 1000;
await Bun.write(arg("out", "/dev/stdout"), JSON.stringify({ elapsed, count: latencies.length, errors, latencies, acked }));
process.exit(0);
