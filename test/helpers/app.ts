/**
 * A whole app on real LMDB in a fresh temp dir, for HTTP tests through `app.handle(new Request(...))`.
 * Parts of Deps that a test app does not run (queue, worker pool) throw a clear error when touched;
 * pass them in `overrides` once a test needs them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../src/app.ts";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { Deps } from "../../src/deps.ts";
import type { DriverHost } from "../../src/drivers/driver.ts";
import { createDriverRegistry, type DriverFactory } from "../../src/drivers/registry.ts";
import { createLogger } from "../../src/log.ts";
import { createUser } from "../../src/services/auth.ts";
import { openStorage } from "../../src/storage/db.ts";

export interface TestApp {
  app: ReturnType<typeof buildApp>;
  deps: Deps;
  clock: FakeClock;
  dir: string;
  /** Every log line written, at debug level and up (to prove secrets never reach the logs). */
  logs: string[];
  /** Closes storage and removes the temp dir. */
  close(): Promise<void>;
}

/** A stand-in for a part of Deps the test app does not provide: any use fails loudly, naming it. */
export function unavailable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_t, prop) => {
      if (prop === "then") return undefined;
      throw new Error(`test app: deps.${name}.${String(prop)} is not available; pass it in makeTestApp({ overrides })`);
    },
  });
}

/** Opens a fresh app: real storage in a temp dir, a FakeClock, a recording logger, the real driver registry. */
export function makeTestApp(opts: { env?: Record<string, string>; drivers?: DriverFactory[]; overrides?: Partial<Deps> } = {}): TestApp {
  const dir = mkdtempSync(join(tmpdir(), "pombo-test-"));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "silent", BASE_URL: "http://pombo.test", ...opts.env }, join(dir, ".env"));
  const clock = new FakeClock();
  const logs: string[] = [];
  const log = createLogger("debug", (line) => void logs.push(line));
  const storage = openStorage(dir);
  const host: DriverHost = { clock, log, ingest: async () => { throw new Error("test app: no webhooks queue; pass a drivers host"); } };
  const drivers = createDriverRegistry(host, opts.drivers);
  const deps: Deps = {
    config, storage, clock, log, drivers,
    queue: unavailable("queue"),
    pool: unavailable("pool"),
    ...opts.overrides,
  };
  return {
    app: buildApp(deps), deps, clock, dir, logs,
    close: async () => {
      await drivers.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a user (and its company when new) directly through the auth service. */
export async function addUser(t: Pick<TestApp, "deps">, email: string, password: string, company: string) {
  return createUser(t.deps, { email, password, company });
}

/** Logs in through the API and returns the Cookie header value to send back. */
export async function login(app: TestApp["app"], email: string, password: string): Promise<string> {
  const res = await app.handle(new Request("http://pombo.test/api/v1/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }),
  }));
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

/** Calls the API with the session cookie; a string body is sent as-is (for malformed-JSON tests). */
export async function api(app: TestApp["app"], cookie: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { cookie };
  if (body !== undefined) headers["content-type"] = "application/json";
  return app.handle(new Request(`http://pombo.test${path}`, {
    method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  }));
}

/** A test app with two companies (A and B), each with a logged-in owner: the usual start of an HTTP test. */
export async function makeTwoTenants(opts: Parameters<typeof makeTestApp>[0] = {}) {
  const t = makeTestApp(opts);
  const { company: companyA } = await addUser(t, "a@a.test", "password-a", "Company A");
  const { company: companyB } = await addUser(t, "b@b.test", "password-b", "Company B");
  const a = await login(t.app, "a@a.test", "password-a");
  const b = await login(t.app, "b@b.test", "password-b");
  return { ...t, a, b, companyA: companyA.id, companyB: companyB.id };
}
