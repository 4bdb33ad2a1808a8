import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { createImport } from "../../src/services/imports.ts";
import { createList } from "../../src/services/lists.ts";
import { escapeLabel } from "../../src/services/metrics.ts";
import { putImportSync } from "../../src/storage/imports.ts";
import { settle } from "../helpers/settle.ts";
import { makeAccount, makeCompany, makeList, makeSystem, phones, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
afterEach(async () => sys && (await sys.destroy()));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser for the text format: every line is a comment (# HELP / # TYPE) or `name{labels} value`. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") types.set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?[0-9.]+(?:e[+-]?\d+)?|\+Inf|-Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not a metrics line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3] === "+Inf" ? Infinity : m[3]) });
  }
  return { samples, types };
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

test("escapes label values as the format requires", () => {
  expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
});

test("GET /metrics needs no auth and exposes queues, messages by status, webhook latency and process figures", async () => {
  sys = makeSystem();
  const auth = await makeCompany(sys);
  const account = await makeAccount(sys, auth);
  const list = await makeList(sys, auth, phones(20).map((phone) => ({ phone })));
  const c = await createCampaign(sys.deps, auth, { name: "M", accountId: account.id, listIds: [list.id], body: "Hi" });
  await settle(sys);
  await changeCampaignStatus(sys.deps, auth, c.id, "start");
  await sys.tick();
  sys.clock.advance(60_000);
  await settle(sys);

  // Two provider webhook requests: an unknown account, and a driver name that must not become a label value.
  await sys.app.handle(new Request(`http://pombo.test/webhooks/sandbox/nope`, { method: "POST", body: "{}" }));
  await sys.app.handle(new Request(`http://pombo.test/webhooks/evil%22name/x`, { method: "POST", body: "{}" }));

  await new Promise((r) => setTimeout(r, 0)); // onAfterResponse hooks run after the response is handed back
  const res = await sys.app.handle(new Request("http://pombo.test/metrics"));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  const { samples, types } = parse(await res.text());

  for (const name of ["pombo_queue_depth", "pombo_queue_delayed", "pombo_queue_running", "pombo_queue_failed", "pombo_queue_completed_per_minute"]) {
    expect(types.get(name)).toBe("gauge");
    expect(find(samples, name).map((s) => s.labels.queue)).toEqual(["webhooks", "sends", "default", "outgoing", "campaigns", "imports"]);
  }
  expect(find(samples, "pombo_queue_completed_per_minute", { queue: "sends" })[0]!.value).toBe(20);
  expect(find(samples, "pombo_queue_depth", { queue: "sends" })[0]!.value).toBe(0);
  expect(types.get("pombo_queue_inbox")).toBe("gauge");
  expect(find(samples, "pombo_queue_inbox")[0]!.value).toBe(0); // every accepted report moved on
  expect(types.get("pombo_queue_inbox_lag_seconds")).toBe("gauge");
  expect(find(samples, "pombo_queue_inbox_lag_seconds")[0]!.value).toBe(0);

  expect(find(samples, "pombo_messages", { status: "delivered" })[0]!.value).toBe(20);
  expect(find(samples, "pombo_messages", { status: "pending" })[0]!.value).toBe(0);

  const h = "pombo_http_request_duration_seconds";
  expect(types.get(h)).toBe("histogram");
  const counts = find(samples, `${h}_count`);
  expect(counts.map((s) => s.labels.driver).sort()).toEqual(["other", "sandbox"]);
  for (const s of counts) {
    expect(s.value).toBe(1);
    const buckets = find(samples, `${h}_bucket`, { driver: s.labels.driver! });
    expect(buckets.at(-1)!.labels.le).toBe("+Inf");
    expect(buckets.at(-1)!.value).toBe(1);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(find(samples, `${h}_sum`, { driver: s.labels.driver! })[0]!.value).toBeGreaterThan(0);
  }

  expect(find(samples, "process_resident_memory_bytes")[0]!.value).toBeGreaterThan(1_000_000);
  expect(find(samples, "process_heap_bytes")[0]!.value).toBeGreaterThan(0);
  expect(find(samples, "pombo_uptime_seconds")[0]!.value).toBeGreaterThanOrEqual(0);
});

test("GET /metrics counts import rows by outcome (for rows/s) and the imports running, from the import records", async () => {
  sys = makeSystem();
  const auth = await makeCompany(sys);
  const s = sys.deps.storage;
  const list = createList(sys.deps, auth.company.id, "L");
  const file = { path: `${sys.dir}/none.csv`, bytes: 100, ownsFile: false };
  const a = createImport(sys.deps, auth.company.id, list.id, file, {}, false);
  const b = createImport(sys.deps, auth.company.id, list.id, file, {}, false);
  const scrape = async () => parse(await (await sys.app.handle(new Request("http://pombo.test/metrics"))).text());
  const rows = (samples: Sample[]) => Object.fromEntries(find(samples, "pombo_import_rows_total").map((x) => [x.labels.outcome, x.value]));

  let { samples, types } = await scrape();
  expect(types.get("pombo_import_rows_total")).toBe("counter");
  expect(types.get("pombo_imports_running")).toBe("gauge");
  expect(rows(samples)).toEqual({ imported: 0, duplicate: 0, invalid: 0, suppressed: 0 });
  expect(find(samples, "pombo_imports_running")[0]!.value).toBe(0);

  s.env.transactionSync(() => {
    putImportSync(s, { ...a, status: "running", rows: 100, imported: 90, duplicates: 5, invalid: 4, suppressed: 1 });
    putImportSync(s, { ...b, status: "running", rows: 10, imported: 10, duplicates: 0, invalid: 0, suppressed: 0 });
  });
  ({ samples } = await scrape());
  expect(rows(samples)).toEqual({ imported: 100, duplicate: 5, invalid: 4, suppressed: 1 });
  expect(find(samples, "pombo_imports_running")[0]!.value).toBe(2);

  s.env.transactionSync(() => putImportSync(s, { ...a, status: "done", rows: 150, imported: 130, duplicates: 10, invalid: 8, suppressed: 2 }));
  ({ samples } = await scrape());
  expect(rows(samples)).toEqual({ imported: 140, duplicate: 10, invalid: 8, suppressed: 2 });
  expect(find(samples, "pombo_imports_running")[0]!.value).toBe(1);
});
