/**
 * A whole Pombo (real LMDB in a temp dir, real queue and runner, real drivers, real worker pool) on a
 * FakeClock, for service-level and e2e tests. Nothing runs in the background unless the test starts it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import type { AuthContext } from "../../src/deps.ts";
import { createLogger } from "../../src/log.ts";
import { addNumber, createAccount } from "../../src/services/accounts.ts";
import { createUser } from "../../src/services/auth.ts";
import { createList } from "../../src/services/lists.ts";
import { createSystem, type System } from "../../src/system.ts";
import { packContact } from "../../src/storage/contacts.ts";
import type { GeoInfo } from "../../src/domain/geo.ts";

export interface TestSystem extends System {
  clock: FakeClock;
  dir: string;
  logs: string[];
  destroy(): Promise<void>;
}

/** Builds a system on a fresh temp dir. The clock starts on a Monday at 15:00 UTC. */
export function makeSystem(env: Record<string, string> = {}, dir = mkdtempSync(join(tmpdir(), "pombo-sys-"))): TestSystem {
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "silent", BASE_URL: "http://pombo.test", WORKER_THREADS: "1", POMBO_SECRET_KEY: "", ...env }, join(dir, ".env"));
  const clock = new FakeClock();
  const logs: string[] = [];
  const sys = createSystem(config, clock, createLogger("debug", (l) => void logs.push(l)));
  return Object.assign(sys, {
    clock, dir, logs,
    destroy: async () => {
      await sys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** A company with an owner; returns the AuthContext services take. */
export async function makeCompany(sys: System, name = "Acme", email = `owner@${name.toLowerCase()}.test`): Promise<AuthContext> {
  const { user, company } = await createUser(sys.deps, { email, password: "correct horse", company: name });
  return { user: { id: user.id, email: user.email, role: user.role }, company: { id: company.id, name: company.name } };
}

/** A sandbox account with `numbers` long codes (or a given quota via short codes / mps). */
export async function makeAccount(sys: System, auth: AuthContext, opts: { numbers?: string[]; mps?: number; perMinuteCap?: number; config?: Record<string, unknown> } = {}) {
  const account = await createAccount(sys.deps, auth.company.id, { name: "Sandbox", driver: "sandbox", config: { deliveryDelayMs: 0, ...opts.config }, perMinuteCap: opts.perMinuteCap });
  for (const n of opts.numbers ?? ["+12025550100"]) await addNumber(sys.deps, auth.company.id, account.id, { number: n, type: "long_code", mps: opts.mps });
  return account;
}

/** A list holding the given contacts, written the way the importer writes them (one transaction). */
export async function makeList(sys: System, auth: AuthContext, contacts: Array<{ phone: string; fields?: Record<string, string>; geo?: Partial<GeoInfo> }>, name = "List") {
  const list = createList(sys.deps, auth.company.id, name);
  const s = sys.deps.storage;
  await s.env.transaction(() => {
    for (const c of contacts) {
      const geo = { country: "US", region: "", city: "", timezone: "America/New_York", carrier: "", ...c.geo } as GeoInfo;
      s.db("contacts").putSync([auth.company.id, list.id, c.phone], packContact({ v: 1, fields: c.fields ?? {}, geo }));
    }
    s.db("lists").putSync([auth.company.id, list.id], { ...list, contacts: contacts.length });
  });
  return list;
}

/** `n` distinct US numbers +1202555xxxx style, deterministic. */
export function phones(n: number, area = 202): string[] {
  return Array.from({ length: n }, (_, i) => `+1${area}${String(2000000 + i).padStart(7, "0")}`);
}
