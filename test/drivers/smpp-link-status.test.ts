/**
 * Each SMPP account shows its link: connecting → bound against the fake SMSC, down with failed binds counting
 * up while the SMSC is away, down with "bind refused: invalid password" when the SMSC refuses the credentials
 * (still retried, one warning in the log), bound again once the password is fixed; the account API carries
 * `link` only for drivers that keep links, and /metrics has pombo_provider_link_up. Waits poll a condition.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AuthContext } from "../../src/deps.ts";
import type { DriverAccount } from "../../src/drivers/driver.ts";
import { createSmppDriver } from "../../src/drivers/smpp.ts";
import { api, login } from "../helpers/app.ts";
import { createTestHost, type TestHost } from "../helpers/driver-host.ts";
import { startFakeSmsc, type FakeSmsc } from "../helpers/fake-smsc.ts";
import { until } from "../helpers/pombo-process.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const CREDS = { systemId: "pombo", password: "s3cr3tpw" };
const WRONG = "not-the-pw-9";

/** Resolves once `cond` holds, polled; fails after `timeoutMs`. */
const waitUntil = (cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) => until(async () => cond(), (ok) => ok, timeoutMs);

let smsc: FakeSmsc | undefined;
afterEach(async () => {
  await smsc?.close();
  smsc = undefined;
});

describe("smpp driver linkStatus", () => {
  let t: TestHost;
  let driver: ReturnType<typeof createSmppDriver>;
  const account = (port: number, password = CREDS.password): DriverAccount => ({ id: "acc_smpp", webhookUrl: "", config: { host: "127.0.0.1", port, systemId: CREDS.systemId, password } });
  const status = () => driver.linkStatus("acc_smpp");
  const warnings = () => t.logs.filter((l) => l.includes('"smpp link down, re-binding"'));
  beforeEach(() => {
    t = createTestHost();
    driver = createSmppDriver(t.host, { backoffMinMs: 5, backoffMaxMs: 20, responseTimeoutMs: 5_000 });
  });
  afterEach(() => driver.close());

  test("goes connecting → bound against the SMSC; an account never connected has no status", async () => {
    smsc = await startFakeSmsc(CREDS);
    expect(status()).toBeUndefined();
    driver.connect(account(smsc.port));
    expect(status()).toEqual({ state: "connecting", since: t.clock.now() });
    t.clock.advance(1_000);
    await waitUntil(() => status()?.state === "bound");
    expect(status()).toEqual({ state: "bound", since: t.clock.now() });
  });

  test("an SMSC that is down shows as down with failed binds counting up, one warning, then bound once it is up", async () => {
    const gone = await startFakeSmsc(CREDS);
    await gone.close();
    driver.connect(account(gone.port));
    t.clock.advance(1_000); // the link goes down after this: `since` is now
    const wentDown = t.clock.now();
    await waitUntil(() => (status()?.attempts ?? 0) >= 1);
    const seen = status()!.attempts!;
    expect(status()).toMatchObject({ state: "down", since: wentDown, lastError: expect.stringContaining(`cannot connect to 127.0.0.1:${gone.port}`) });
    t.clock.advance(1_000); // retries do not change the state, so `since` stays
    await waitUntil(() => (status()?.attempts ?? 0) >= seen + 3);
    expect(status()).toMatchObject({ state: "down", since: wentDown });
    expect(warnings()).toHaveLength(1);
    smsc = await startFakeSmsc(CREDS, gone.port);
    await waitUntil(() => status()?.state === "bound");
    expect(status()!.attempts).toBeUndefined();
    expect(status()!.lastError).toBeUndefined();
  });

  test("a refused password is down with that reason and still retried, warned once; the right password binds", async () => {
    smsc = await startFakeSmsc(CREDS);
    driver.connect(account(smsc.port, WRONG));
    await waitUntil(() => smsc!.binds.length >= 4);
    expect(smsc.binds.every((b) => !b.ok)).toBe(true);
    await waitUntil(() => (status()?.attempts ?? 0) >= 3);
    expect(status()).toMatchObject({ state: "down", lastError: "bind refused: invalid password" });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain("bind refused: invalid password");
    driver.connect(account(smsc.port));
    await waitUntil(() => status()?.state === "bound");
    expect(t.logs.join("\n")).not.toContain(WRONG);
    expect(t.logs.join("\n")).not.toContain(CREDS.password);
  });

  test("an unusable config shows as down with the problem; disconnect forgets the account", async () => {
    driver.connect({ id: "acc_smpp", webhookUrl: "", config: { host: "127.0.0.1" } });
    expect(status()).toMatchObject({ state: "down", lastError: "bad config: port must be a TCP port number" });
    await driver.disconnect("acc_smpp");
    expect(status()).toBeUndefined();
  });
});

describe("link in the account API and /metrics", () => {
  let sys: TestSystem;
  let auth: AuthContext;
  let cookie: string;
  beforeEach(async () => {
    sys = makeSystem();
    auth = await makeCompany(sys);
    cookie = await login(sys.app, "owner@acme.test", "correct horse");
  });
  afterEach(() => sys.destroy());

  const call = async (method: string, path: string, body?: unknown) => (await api(sys.app, cookie, method, path, body)).json() as Promise<any>;
  const createSmpp = (port: number, password: string) =>
    call("POST", "/api/v1/accounts", { name: "SMSC", driver: "smpp", config: { host: "127.0.0.1", port, systemId: CREDS.systemId, password } });
  const linkOf = async (id: string) => (await call("GET", `/api/v1/accounts/${id}`)).link;
  const linkUp = async (id: string) => {
    const text = await (await sys.app.handle(new Request("http://pombo.test/metrics"))).text();
    return text.split("\n").find((l) => l.startsWith(`pombo_provider_link_up{account="${id}",driver="smpp"} `));
  };

  test("an SMPP account shows connecting, then bound, in the API and as 1 in /metrics; a sandbox account has no link", async () => {
    smsc = await startFakeSmsc(CREDS);
    const created = await createSmpp(smsc.port, CREDS.password);
    expect(created.link).toMatchObject({ state: "connecting", since: new Date(sys.clock.now()).toISOString() });
    const sandbox = await call("POST", "/api/v1/accounts", { name: "Sandbox", driver: "sandbox" });
    expect(sandbox).not.toHaveProperty("link");
    await waitUntil(async () => (await linkOf(created.id))?.state === "bound");
    expect(await linkUp(created.id)).toBe(`pombo_provider_link_up{account="${created.id}",driver="smpp"} 1`);
    const { items } = await call("GET", "/api/v1/accounts");
    expect(items.find((a: any) => a.id === created.id).link.state).toBe("bound");
    expect(items.find((a: any) => a.id === sandbox.id)).not.toHaveProperty("link");
    expect(await linkUp(sandbox.id)).toBeUndefined();
    await smsc.close();
    smsc = undefined;
    await waitUntil(async () => (await linkUp(created.id))?.endsWith(" 0") ?? false);
    expect((await linkOf(created.id)).state).toBe("down");
  });

  test("a wrong password shows down with the SMSC's reason, no secret returned; fixing it binds", async () => {
    smsc = await startFakeSmsc(CREDS);
    const created = await createSmpp(smsc.port, WRONG);
    await waitUntil(async () => (await linkOf(created.id))?.state === "down");
    const view = await call("GET", `/api/v1/accounts/${created.id}`);
    expect(view.link).toMatchObject({ state: "down", lastError: "bind refused: invalid password" });
    expect(view.link.attempts).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(view)).not.toContain(WRONG);
    expect(await linkUp(created.id)).toEndWith(" 0");
    await call("PATCH", `/api/v1/accounts/${created.id}`, { config: { password: CREDS.password } });
    await waitUntil(async () => (await linkOf(created.id))?.state === "bound");
    expect(await linkUp(created.id)).toEndWith(" 1");
    expect(sys.logs.join("\n")).not.toContain(WRONG);
  });
});
