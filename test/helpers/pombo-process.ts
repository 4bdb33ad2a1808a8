/**
 * The real process (`bun src/main.ts`) in a child, on 127.0.0.1 with PORT=0: its port comes from the
 * "pombo started" log line. Waits are on log lines and HTTP answers, never on elapsed time.
 * Used by the e2e tests and by scripts/chaos.ts.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";

export const MAIN = join(import.meta.dir, "../../src/main.ts");
export const CLI = join(import.meta.dir, "../../src/cli/main.ts");

export interface PomboProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  url: string;
  /** Every JSON log line parsed so far (stdout). */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves on the first log line (past or future) for which `ok` is true; rejects if the process exits first. */
  waitForLog(ok: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  kill(signal: "SIGKILL" | "SIGTERM"): void;
}

/** Processes started here and still alive: killed when this (test) process exits, so a failed test leaks none. */
const alive = new Set<Subprocess>();
process.on("exit", () => {
  for (const p of alive) p.kill("SIGKILL");
});

/**
 * Starts Pombo on DATA_DIR `dir` and resolves once /healthz answers.
 * @throws Error when the process exits before it is healthy.
 */
export async function startPombo(dir: string, env: Record<string, string> = {}): Promise<PomboProcess> {
  const proc = Bun.spawn(["bun", MAIN], {
    env: { ...process.env, DATA_DIR: dir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", BASE_URL: "http://pombo.test", WORKER_THREADS: "1", POMBO_SECRET_KEY: "", ...env },
    stdout: "pipe", stderr: "pipe", stdin: "ignore",
  });
  alive.add(proc);
  void proc.exited.then(() => alive.delete(proc));
  const logs: Array<Record<string, unknown>> = [];
  let waiters: Array<{ ok: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let stderr = "";
  const exited = (async () => {
    const readErr = (async () => {
      for await (const chunk of proc.stderr as unknown as AsyncIterable<Uint8Array>) stderr += new TextDecoder().decode(chunk);
    })();
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of proc.stdout as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        let l: Record<string, unknown>;
        try {
          l = JSON.parse(line);
        } catch {
          l = { msg: line };
        }
        logs.push(l);
        waiters = waiters.filter((w) => (w.ok(l) ? (w.resolve(l), false) : true));
      }
    }
    await readErr;
    return proc.exited;
  })();
  const waitForLog = (ok: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = logs.find(ok);
      if (found) return resolve(found);
      waiters.push({ ok, resolve });
      void exited.then((code) => reject(new Error(`pombo exited (${code}) while waiting; stderr: ${stderr.slice(-2000)}`)));
    });
  const started = await waitForLog((l) => l.msg === "pombo started");
  const port = Number(started.port);
  const url = `http://127.0.0.1:${port}`;
  const res = await fetch(`${url}/healthz`);
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  return { proc, port, url, logs, exited, waitForLog, kill: (signal) => proc.kill(signal) };
}

/** Runs the admin CLI (`bun src/cli/main.ts …`) on DATA_DIR `dir`; resolves with its stdout. @throws Error on a non-zero exit. */
export async function runCli(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn(["bun", CLI, ...args], { env: { ...process.env, DATA_DIR: dir, POMBO_SECRET_KEY: "", ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`pombo ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

/** A logged-in API client for a running Pombo. */
export interface ApiClient {
  call<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

/** Logs in through the API and returns a client carrying the session cookie. @throws Error when login fails. */
export async function apiLogin(url: string, email: string, password: string): Promise<ApiClient> {
  const res = await fetch(`${url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  return {
    async call(method, path, body, headers = {}) {
      const isText = typeof body === "string";
      const r = await fetch(`${url}${path}`, {
        method,
        headers: { cookie, ...(body === undefined ? {} : { "content-type": isText ? "text/csv" : "application/json" }), ...headers },
        body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
      });
      const text = await r.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: r.status, body: parsed };
    },
  };
}

/** Polls `read` until `ok` holds (a condition, not a duration); fails after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not reached in ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await Bun.sleep(50);
  }
}
