/**
 * SMPP accounts stay bound whether or not they send: a fake SMSC (the `smpp` package's own server on loopback)
 * must see a bind at start-up, on account creation and on a config change, an unbind on deletion and at
 * shutdown, and a late bind when it comes up after Pombo. Replies it delivers to a link that never sent are
 * stored. Waits poll a condition with a timeout, never a fixed duration.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AuthContext } from "../../src/deps.ts";
import type { DriverAccount } from "../../src/drivers/driver.ts";
import { createSmppDriver } from "../../src/drivers/smpp.ts";
import { createAccount, deleteAccount, updateAccount } from "../../src/services/accounts.ts";
import { listInbound } from "../../src/storage/inbound.ts";
import { createTestHost, type TestHost } from "../helpers/driver-host.ts";
import { startFakeSmsc, type FakeSmsc } from "../helpers/fake-smsc.ts";
import { until } from "../helpers/pombo-process.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const CREDS = { systemId: "pombo", password: "s3cr3tpw" };
const OURS = "+12025550100";
const PHONE = "+15550001111";

/** A port nothing listens on: a fake SMSC started there and closed at once. */
async function freePort(): Promise<number> {
  const gone = await startFakeSmsc(CREDS);
  await gone.close();
  return gone.port;
}

/** Resolves once `cond` holds, polled; fails after `timeoutMs`. */
const waitUntil = (cond: () => boolean, timeoutMs = 10_000) => until(async () => cond(), (ok) => ok, timeoutMs);

let smsc: FakeSmsc | undefined;
afterEach(async () => {
  await smsc?.close();
  smsc = undefined;
});

describe("smpp driver connect", () => {
  let t: TestHost;
  let driver: ReturnType<typeof createSmppDriver>;
  const accountOn = (port: number): DriverAccount => ({ id: "acc_smpp", webhookUrl: "", config: { host: "127.0.0.1", port, ...CREDS } });
  beforeEach(() => {
    t = createTestHost();
    driver = createSmppDriver(t.host, { backoffMinMs: 5, backoffMaxMs: 20, responseTimeoutMs: 5_000 });
  });
  afterEach(() => driver.close());

  test("binds without a send and takes a reply on that link", async () => {
    smsc = await startFakeSmsc(CREDS);
    driver.connect(accountOn(smsc.port));
    await smsc.waitForBind(1);
    expect(await smsc.sendMo(PHONE, OURS, "hello")).toBe(0);
    expect(smsc.submits).toHaveLength(0);
    expect(driver.parseWebhook(accountOn(smsc.port), t.ingested[0]!.req)).toMatchObject([{ type: "inbound", from: PHONE, body: "hello" }]);
  });

  test("keeps retrying with backoff while the SMSC is down, and binds once it comes up", async () => {
    const port = await freePort();
    driver.connect(accountOn(port));
    await waitUntil(() => (driver.linkStatus("acc_smpp")?.attempts ?? 0) >= 3);
    expect(driver.isBound("acc_smpp")).toBe(false);
    smsc = await startFakeSmsc(CREDS, port);
    await smsc.waitForBind(1);
    await waitUntil(() => driver.isBound("acc_smpp"));
  });

  test("connect again with the same config keeps the one bind; disconnect unbinds and forgets the account", async () => {
    smsc = await startFakeSmsc(CREDS);
    driver.connect(accountOn(smsc.port));
    await waitUntil(() => driver.isBound("acc_smpp"));
    driver.connect(accountOn(smsc.port));
    expect(smsc.binds).toHaveLength(1);
    await driver.disconnect("acc_smpp");
    expect(smsc.unbinds).toBe(1);
    expect(driver.isBound("acc_smpp")).toBe(false);
    await smsc.waitForLinks(0);
  });

  test("after close(), connect opens nothing", async () => {
    smsc = await startFakeSmsc(CREDS);
    await driver.close();
    driver.connect(accountOn(smsc.port));
    expect(driver.isBound("acc_smpp")).toBe(false);
    expect(t.logs.some((l) => l.includes("smpp"))).toBe(false);
  });
});

describe("smpp accounts in a running Pombo", () => {
  let sys: TestSystem;
  let auth: AuthContext;
  beforeEach(async () => {
    sys = makeSystem();
    auth = await makeCompany(sys);
  });
  afterEach(() => sys.destroy());

  const createSmpp = (port: number) => createAccount(sys.deps, auth.company.id, { name: "SMSC", driver: "smpp", config: { host: "127.0.0.1", port, ...CREDS } });
  /** Restarts Pombo on the same data dir and starts its background work, as `bun run start` does. */
  async function restart(): Promise<void> {
    await sys.close();
    sys = makeSystem({}, sys.dir);
    sys.startBackground({ spreadMs: 0 });
  }
  /** Resolves once this Pombo has logged its n-th successful bind (our side has the bind_resp, not only the SMSC). */
  const boundOurSide = (n = 1) => waitUntil(() => sys.logs.filter((l) => l.includes('"smpp bound"')).length >= n);
  const stored = () => listInbound(sys.deps.storage, auth.company.id, { limit: 10 }).items;

  test("after a restart with no send, the account binds and an MO from the SMSC is stored as an inbound message", async () => {
    smsc = await startFakeSmsc(CREDS);
    await createSmpp(smsc.port);
    await boundOurSide();
    await restart();
    expect(smsc.unbinds).toBe(1); // the close unbound the link it opened at creation
    await smsc.waitForBind(2);
    expect(await smsc.sendMo(PHONE, OURS, "Yes, count me in")).toBe(0);
    await waitUntil(() => stored().length === 1);
    expect(stored()[0]).toMatchObject({ from: PHONE, to: OURS, body: "Yes, count me in" });
    expect(smsc.submits).toHaveLength(0);
  });

  test("an account created while Pombo runs binds without sending anything", async () => {
    sys.startBackground({ spreadMs: 0 });
    smsc = await startFakeSmsc(CREDS);
    await createSmpp(smsc.port);
    await smsc.waitForBind(1);
    expect(smsc.binds).toEqual([{ ...CREDS, systemType: "", ok: true }]);
    expect(smsc.submits).toHaveLength(0);
  });

  test("an SMSC that is down at start-up does not hold start-up back and is bound when it comes up", async () => {
    const port = await freePort();
    await createSmpp(port);
    await restart();
    await waitUntil(() => sys.logs.some((l) => l.includes("smpp link down")));
    await sys.tick(); // the process works on meanwhile
    smsc = await startFakeSmsc(CREDS, port);
    await smsc.waitForBind(1);
    expect(sys.logs.join("\n")).not.toContain(CREDS.password);
  });

  test("changing the account's SMSC rebinds there and unbinds from the old one", async () => {
    smsc = await startFakeSmsc(CREDS);
    const account = await createSmpp(smsc.port);
    await boundOurSide();
    const other = await startFakeSmsc(CREDS);
    try {
      await updateAccount(sys.deps, auth.company.id, account.id, { config: { port: other.port } });
      await other.waitForBind(1);
      await smsc.waitForLinks(0);
      expect(smsc.unbinds).toBe(1);
      await updateAccount(sys.deps, auth.company.id, account.id, { name: "Renamed" });
      expect(other.binds).toHaveLength(1); // same config: the link stays as it is
    } finally {
      await other.close();
    }
  });

  test("deleting the account unbinds it", async () => {
    smsc = await startFakeSmsc(CREDS);
    const account = await createSmpp(smsc.port);
    await boundOurSide();
    await deleteAccount(sys.deps, auth.company.id, account.id);
    await smsc.waitForLinks(0);
    expect(smsc.unbinds).toBe(1);
    expect(smsc.binds).toHaveLength(1);
  });
});
