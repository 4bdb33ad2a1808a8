/**
 * Import benchmark (not a test): generates a CSV (mixed phone formats, ~5% invalid, ~3% duplicates, 6 columns),
 * times the import job from file on disk to all rows committed, prints rows/s and peak RSS; then, when
 * PostgreSQL is installed, times `\copy` of the same file into a table with a unique index on email.
 * Usage: bun run bench:import [--rows N] [--shuffle] [--keep] [--no-postgres]  (--no-postgres: skip the peer, e.g. while
 * iterating; --shuffle: the data rows in a random order, as a real export is — the generator writes each phone
 * range in sequence, which puts an import's keys nearly in order)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.ts";
import { createLogger } from "../src/log.ts";
import { runImport } from "../src/services/import-run.ts";
import { createImport } from "../src/services/imports.ts";
import { createList } from "../src/services/lists.ts";
import { openStorage } from "../src/storage/db.ts";
import { createPool } from "../src/workers/pool.ts";
import type { generateCsv } from "./gen-csv.ts";

const argv = process.argv.slice(2);
const rows = Number(argv[argv.indexOf("--rows") + 1] || 1_000_000) || 1_000_000;
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "pombo-bench-import-"));
chmodSync(dir, 0o755);
const csv = join(dir, "contacts.csv");

/** Peak resident set of this process so far (VmHWM), in MiB. */
function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 ** 2;
}

/** Current anonymous vs file-backed (LMDB map, page cache) resident memory. */
function rssParts(): string {
  const st = readFileSync("/proc/self/status", "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? 0) / 1024;
  return `anon ${kb("RssAnon").toFixed(0)} MiB, file ${kb("RssFile").toFixed(0)} MiB`;
}

console.log(`generating ${rows.toLocaleString("en")} rows…`);
// Generation and the geo build run in child processes so the peak RSS below is the import's own.
const counts = JSON.parse(execFileSync("bun", [join(import.meta.dir, "gen-csv.ts"), csv, String(rows), "--json"], { encoding: "utf8", maxBuffer: 1 << 20 })) as Awaited<ReturnType<typeof generateCsv>>;
if (argv.includes("--shuffle")) {
  // coreutils `shuf` in a child process (a fixed random source: the same order every run), so the file never
  // passes through this process's memory.
  execFileSync("bash", ["-c", 'f="$1"; { head -n 1 "$f"; tail -n +2 "$f" | shuf --random-source=<(yes); } > "$f.s" && mv "$f.s" "$f"', "shuffle", csv]);
}
console.log(`file: ${(statSync(csv).size / 1024 ** 2).toFixed(1)} MiB, expected valid ${counts.valid}, duplicates ${counts.duplicates}, invalid ${counts.invalid}`);

execFileSync("bun", [join(import.meta.dir, "build-geo.ts")], { env: { ...process.env, DATA_DIR: join(dir, "data") }, stdio: "ignore" });
const storage = openStorage(join(dir, "data"), { mappedBudgetBytes: Number(process.env.MAPPED_MEMORY_MB ?? 256) * 1024 ** 2 });
const config = { dataDir: join(dir, "data"), workerThreads: Number(process.env.WORKER_THREADS ?? 2) };
const pool = createPool(config);
const deps = { storage, clock: systemClock, log: createLogger("warn"), config, pool } as any;
const list = createList(deps, "bench", "bench");
const imp = createImport(deps, "bench", list.id, { path: csv, bytes: statSync(csv).size, ownsFile: false }, {}, false);
const rssBefore = peakRssMiB();
const t0 = performance.now();
let lastPrint = 0;
let readSecs = 0;
const rec = await runImport(deps, "bench", imp.id, (r) => {
  if (!readSecs && r.checkpoint.merged) readSecs = (performance.now() - t0) / 1000;
  if (performance.now() - lastPrint > 5000 && rows >= 1_000_000) {
    lastPrint = performance.now();
    console.log(`  … ${r.rows.toLocaleString("en")} rows, ${rssParts()}`);
  }
});
const secs = (performance.now() - t0) / 1000;
const pombo = rows / secs;
console.log(`pombo import: ${rows} rows in ${secs.toFixed(2)} s = ${Math.round(pombo).toLocaleString("en")} rows/s (imported ${rec?.imported}, duplicates ${rec?.duplicates}, invalid ${rec?.invalid}, status ${rec?.status})`);
console.log(`phases: reading into sorted runs ~${readSecs.toFixed(2)} s, writing them in key order ~${(secs - readSecs).toFixed(2)} s${argv.includes("--shuffle") ? " (rows shuffled)" : ""}`);
console.log(`peak RSS: ${peakRssMiB().toFixed(0)} MiB (before import ${rssBefore.toFixed(0)} MiB; main process, workers are threads of it; now ${rssParts()})`);
const exact = rec?.imported === counts.valid && rec?.duplicates === counts.duplicates && rec?.invalid === counts.invalid;
console.log(`counts match the generator: ${exact ? "yes" : "NO"}`);
await pool.destroy();
await storage.close();

const pg = argv.includes("--no-postgres") ? undefined : postgresPeer(csv, dir);
if (pg) console.log(`postgres \\copy with unique index: ${pg.secs.toFixed(2)} s = ${Math.round(rows / pg.secs).toLocaleString("en")} rows/s; ratio pombo/postgres = ${(pombo / (rows / pg.secs)).toFixed(2)}x`);
if (!argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });

/** Times PostgreSQL's `\copy` into a table with a unique index on email in a throwaway cluster; undefined if unavailable. */
function postgresPeer(file: string, work: string): { secs: number } | undefined {
  const bin = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"].find((b) => existsSync(join(b, "initdb")));
  if (!bin || spawnSync("psql", ["--version"]).status !== 0) {
    console.log("postgres peer: skipped (PostgreSQL server binaries or psql not installed; apt-get install -y postgresql)");
    return undefined;
  }
  const pgdata = join(work, "pg");
  const port = String(54000 + Math.floor(Math.random() * 1000));
  const asUser = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const run = (cmd: string, args: string[]) => execFileSync(asUser[0] ?? cmd, asUser.length ? [...asUser.slice(1), cmd, ...args] : args, { stdio: "pipe" });
  try {
    if (asUser.length) execFileSync("chown", ["postgres", work]);
    run(join(bin, "initdb"), ["-D", pgdata, "-A", "trust", "-U", "bench", "--no-sync"]);
    run(join(bin, "pg_ctl"), ["-D", pgdata, "-o", `-p ${port} -k ${work} -c listen_addresses=127.0.0.1`, "-w", "-l", join(work, "pg.log"), "start"]);
    const psql = (sql: string) => run("psql", ["-h", "127.0.0.1", "-p", port, "-U", "bench", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql]);
    psql("create table contacts (first_name text, last_name text, email text, phone text, city text, plan text); create unique index on contacts (email);");
    const t = performance.now();
    psql(`\\copy contacts from '${file}' with (format csv, header true)`);
    return { secs: (performance.now() - t) / 1000 };
  } catch (e) {
    console.log(`postgres peer: skipped (${String((e as { stderr?: Buffer }).stderr ?? e).trim().split("\n")[0]})`);
    return undefined;
  } finally {
    spawnSync(asUser[0] ?? join(bin, "pg_ctl"), asUser.length ? [...asUser.slice(1), join(bin, "pg_ctl"), "-D", pgdata, "-m", "immediate", "stop"] : ["-D", pgdata, "-m", "immediate", "stop"], { stdio: "ignore" });
  }
}
