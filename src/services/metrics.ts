/**
 * `GET /metrics` in the Prometheus text exposition format (0.0.4). Everything is read from durable
 * counters or memory at scrape time; nothing here writes.
 */
import type { Deps } from "../deps.ts";
import { MESSAGE_STATUSES } from "../domain/message.ts";
import { FLOOD_MAX_LAG_MS } from "../queue/inbox.ts";
import { readImportTotals } from "../storage/imports.ts";
import { listAccountLinks } from "./account-links.ts";
import type { LatencyHistogram } from "./latency.ts";

type Labels = Record<string, string>;

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
}

/** Builds the text of one scrape. */
class Exposition {
  private readonly lines: string[] = [];
  family(name: string, type: "gauge" | "counter" | "histogram", help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, labels: Labels, value: number): this {
    this.lines.push(`${name}${labelText(labels)} ${num(value)}`);
    return this;
  }
  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/**
 * Messages per status across every company, summed from the campaigns' counters. A scan of
 * `campaignCounts` (a dozen keys per campaign): fine for a scrape every 15 s. Auto-replies, which
 * belong to no campaign, are not counted.
 */
export function messagesByStatus(deps: Pick<Deps, "storage">): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0]));
  for (const { key, value } of deps.storage.db("campaignCounts").getRange()) {
    const name = (key as [string, string])[1];
    if (name in out) out[name]! += value as number;
  }
  return out;
}

/** Label values of `pombo_import_rows_total{outcome}` → the `importTotals` key each reads. */
const IMPORT_ROW_OUTCOMES = { imported: "imported", duplicate: "duplicates", invalid: "invalid", suppressed: "suppressed" } as const;

/** Import rows by outcome (rate() of it is rows/s) and imports running: read from `importTotals`, no scan. */
function renderImports(x: Exposition, deps: Pick<Deps, "storage">): void {
  const totals = readImportTotals(deps.storage);
  x.family("pombo_import_rows_total", "counter", "CSV rows processed by imports, by outcome (rate() gives import rows/s).");
  for (const [outcome, key] of Object.entries(IMPORT_ROW_OUTCOMES)) x.sample("pombo_import_rows_total", { outcome }, totals[key]);
  x.family("pombo_imports_running", "gauge", "Imports running now (begun and not yet done or failed).").sample("pombo_imports_running", {}, totals.running);
}

/** 1 per account whose standing provider link (an SMPP bind) is up, 0 while it is connecting or down. */
function renderLinks(x: Exposition, deps: Pick<Deps, "storage" | "drivers">): void {
  const name = "pombo_provider_link_up";
  x.family(name, "gauge", "1 while the account's standing provider link (an SMPP bind) is up, else 0; only accounts whose driver keeps one.");
  for (const { account, link } of listAccountLinks(deps)) x.sample(name, { account: account.id, driver: account.driver }, link.state === "bound" ? 1 : 0);
}

/** The whole scrape: queues, messages by status, imports, provider links, webhook latency, process memory and uptime. */
export function renderMetrics(deps: Pick<Deps, "storage" | "queue" | "drivers">, webhookLatency: LatencyHistogram): string {
  const x = new Exposition();
  const queues = deps.queue.stats();
  const perQueue = (name: string, help: string, pick: (q: (typeof queues)[number]) => number, type: "gauge" | "counter" = "gauge") => {
    x.family(name, type, help);
    for (const q of queues) x.sample(name, { queue: q.name }, pick(q));
  };
  perQueue("pombo_queue_depth", "Jobs due and waiting to run.", (q) => q.depth);
  perQueue("pombo_queue_delayed", "Jobs waiting for their run time (scheduled or backing off).", (q) => q.delayed);
  perQueue("pombo_queue_running", "Jobs being run now.", (q) => q.running);
  perQueue("pombo_queue_failed", "Dead letters (jobs that gave up).", (q) => q.failed);
  perQueue("pombo_queue_completed_per_minute", "Jobs completed in the last minute.", (q) => q.perMinute);
  perQueue("pombo_queue_completed_total", "Jobs completed since the queue was created.", (q) => q.completed ?? 0, "counter");
  x.family("pombo_queue_inbox", "gauge", "Accepted jobs (provider webhooks) durable in the journal, not yet moved into their queue (applied, for delivery reports).")
    .sample("pombo_queue_inbox", {}, deps.queue.inboxDepth());
  x.family("pombo_queue_inbox_lag_seconds", "gauge", `How long ago the oldest of those was accepted (0: none waits). Under a flood reports are applied late on purpose, at most ${FLOOD_MAX_LAG_MS / 1000} s.`)
    .sample("pombo_queue_inbox_lag_seconds", {}, deps.queue.inboxLagMs() / 1000);

  x.family("pombo_messages", "gauge", "Campaign messages now in each status (summed over campaigns).");
  for (const [status, n] of Object.entries(messagesByStatus(deps))) x.sample("pombo_messages", { status }, n);
  renderImports(x, deps);
  renderLinks(x, deps);

  const h = "pombo_http_request_duration_seconds";
  x.family(h, "histogram", "Time to answer provider webhook requests (/webhooks/:driver/:accountId).");
  for (const s of webhookLatency.snapshot()) {
    const labels = { route: "webhooks", ...s.labels };
    webhookLatency.buckets.forEach((le, i) => x.sample(`${h}_bucket`, { ...labels, le: String(le) }, s.cumulative[i]!));
    x.sample(`${h}_bucket`, { ...labels, le: "+Inf" }, s.count);
    x.sample(`${h}_sum`, labels, s.sum);
    x.sample(`${h}_count`, labels, s.count);
  }

  const mem = process.memoryUsage();
  x.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.").sample("process_resident_memory_bytes", {}, mem.rss);
  x.family("process_heap_bytes", "gauge", "JavaScript heap in use, in bytes.").sample("process_heap_bytes", {}, mem.heapUsed);
  x.family("pombo_uptime_seconds", "gauge", "Seconds since the process started.").sample("pombo_uptime_seconds", {}, Math.round(process.uptime()));
  return x.text();
}
