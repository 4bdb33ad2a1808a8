import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { FakeClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import { DriverError, type DriverAccount, type WebhookRequest } from "../../src/drivers/driver.ts";
import { createSmppDriver } from "../../src/drivers/smpp.ts";
import { concatFromSar, concatFromUdh, joinPartTexts } from "../../src/drivers/smpp-concat.ts";
import { deliverSmToEvent, encodeParts, parseReceiptText, toSmppAddress, type DeliverSmRecord } from "../../src/drivers/smpp-pdu.ts";
import { startFakeSmsc, type FakeSmsc } from "../helpers/fake-smsc.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const CREDS = { systemId: "pombo", password: "s3cr3tpw" };
const sms = (over: Partial<{ to: string; from: string; body: string }> = {}) => ({ messageId: "msg_1", from: "+15550002222", to: "+15550001111", body: "Hello from Pombo", ...over });
const never = () => new AbortController().signal;
/** Lets the event loop turn (I/O callbacks included) until `cond` holds; no timers involved. */
async function until(cond: () => boolean, turns = 2000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error("condition never held");
}
async function sendError(p: Promise<unknown>): Promise<DriverError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DriverError) return e;
    throw e;
  }
  throw new Error("expected a DriverError");
}

let smsc: FakeSmsc;
let ingested: Array<{ driver: string; accountId: string; req: WebhookRequest }>;
let ingestGate: ((req: WebhookRequest) => Promise<void>) | undefined;
let driver: ReturnType<typeof createSmppDriver>;
let account: DriverAccount;

beforeEach(async () => {
  smsc = await startFakeSmsc(CREDS);
  ingested = [];
  ingestGate = undefined;
  const host = {
    clock: new FakeClock(),
    log: createLogger("silent"),
    ingest: async (d: string, accountId: string, req: WebhookRequest) => {
      ingested.push({ driver: d, accountId, req });
      await ingestGate?.(req);
    },
  };
  driver = createSmppDriver(host, { backoffMinMs: 5, backoffMaxMs: 20, responseTimeoutMs: 5_000 });
  account = { id: "acc_smpp", webhookUrl: "http://127.0.0.1/webhooks/smpp/acc_smpp", config: { host: "127.0.0.1", port: smsc.port, ...CREDS } };
});

afterEach(async () => {
  await driver.close();
  await smsc.close();
});

describe("smpp send", () => {
  test("binds lazily as a transceiver and submits with E.164 TON/NPI and a receipt request", async () => {
    expect(smsc.binds).toHaveLength(0);
    const res = await driver.send(account, sms(), never());
    expect(res.providerId).toBe("1000");
    expect(smsc.binds).toEqual([{ ...CREDS, systemType: "", ok: true }]);
    expect(smsc.submits[0]).toMatchObject({
      sourceAddr: "15550002222", sourceTon: 1, sourceNpi: 1, destinationAddr: "15550001111", destTon: 1, destNpi: 1,
      registeredDelivery: 1, dataCoding: 0, esmClass: 0, text: "Hello from Pombo",
    });
    await driver.send(account, sms(), never());
    expect(smsc.binds).toHaveLength(1); // the session is reused
  });

  test("sends non-GSM text as UCS-2 (data_coding 8)", async () => {
    await driver.send(account, sms({ body: "Olá 👋 Привет" }), never());
    expect(smsc.submits[0]).toMatchObject({ dataCoding: 8, text: "Olá 👋 Привет" });
  });

  test("splits long text with a concatenation UDH and answers with the first part's id", async () => {
    const body = "A".repeat(200);
    const res = await driver.send(account, sms({ body }), never());
    expect(smsc.submits).toHaveLength(2);
    const [a, b] = smsc.submits;
    expect(res.providerId).toBe(a!.messageId!);
    expect(a!.esmClass & 0x40).toBe(0x40);
    expect([...a!.concat!].slice(3)).toEqual([2, 1]);
    expect([...b!.concat!].slice(3)).toEqual([2, 2]);
    expect(a!.concat![2]).toBe(b!.concat![2]!); // same reference
    expect(a!.text + b!.text).toBe(body);
  });

  test("a window of outstanding submits holds further sends back", async () => {
    driver = createSmppDriver({ clock: new FakeClock(), log: createLogger("silent"), ingest: async () => {} }, { window: 2 });
    smsc.fault = "hold";
    const sends = [1, 2, 3].map(() => driver.send(account, sms(), never()));
    await smsc.waitForSubmits(2);
    await until(() => false, 50).catch(() => {}); // give a third submit every chance to slip through
    expect(smsc.submits).toHaveLength(2);
    smsc.releaseHeld();
    await smsc.waitForSubmits(3);
    smsc.releaseHeld();
    expect((await Promise.all(sends)).map((r) => r.providerId).sort()).toEqual(["1000", "1001", "1002"]);
  });

  test.each([
    ["throttle", "throttled", "0x0058"],
    ["queue_full", "throttled", "0x0014"],
    ["invalid_dest", "rejected", "0x000b"],
  ] as const)("SMSC fault %s → %s", async (fault, kind, code) => {
    smsc.fault = fault;
    const err = await sendError(driver.send(account, sms(), never()));
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
  });

  test("a wrong password is a config error that never names the password", async () => {
    account.config = { ...account.config, password: "wrongpw1" };
    const err = await sendError(driver.send(account, sms(), never()));
    expect(err.kind).toBe("config");
    expect(err.message).not.toContain("wrongpw1");
    expect(err.message).not.toContain(CREDS.password);
  });

  test("an aborted send whose submit_sm was written is an unknown outcome", async () => {
    smsc.fault = "hold";
    const ac = new AbortController();
    const p = driver.send(account, sms(), ac.signal);
    await smsc.waitForSubmits(1);
    ac.abort();
    expect((await sendError(p)).kind).toBe("unknown_outcome");
  });

  test("a refused connection is transient", async () => {
    const closed = await startFakeSmsc(CREDS);
    const port = closed.port;
    await closed.close();
    account.config = { ...account.config, port };
    expect((await sendError(driver.send(account, sms(), never()))).kind).toBe("transient");
  });
});

describe("smpp link", () => {
  test("re-binds after the SMSC drops the link, and is transient while unbound", async () => {
    driver = createSmppDriver({ clock: new FakeClock(), log: createLogger("silent"), ingest: async () => {} }, { backoffMinMs: 60_000 });
    await driver.send(account, sms(), never());
    smsc.drop();
    await until(() => !driver.isBound(account.id));
    expect((await sendError(driver.send(account, sms(), never()))).kind).toBe("transient");
  });

  test("reconnects with backoff and sends again", async () => {
    await driver.send(account, sms(), never());
    smsc.drop();
    await smsc.waitForBind(2);
    await until(() => driver.isBound(account.id));
    const res = await driver.send(account, sms(), never());
    expect(res.providerId).toBe("1001");
  });

  test("close() unbinds every session", async () => {
    await driver.send(account, sms(), never());
    await driver.close();
    expect(smsc.unbinds).toBe(1);
  });
});

describe("smpp deliver_sm", () => {
  test("a receipt is acknowledged only after ingest resolved, then parses to a status", async () => {
    const { providerId } = await driver.send(account, sms(), never());
    let open!: () => void;
    ingestGate = () => new Promise<void>((r) => (open = r));
    let acked = false;
    const resp = smsc.sendReceipt(providerId, "DELIVRD").then((s) => ((acked = true), s));
    await until(() => ingested.length === 1);
    await until(() => false, 50).catch(() => {});
    expect(acked).toBe(false);
    open();
    expect(await resp).toBe(0);
    const [{ driver: name, accountId, req }] = ingested as [(typeof ingested)[0]];
    expect([name, accountId]).toEqual(["smpp", account.id]);
    expect(driver.parseWebhook(account, req)).toEqual([{ type: "status", providerId, status: "delivered", at: expect.any(Number) }]);
  });

  test("a failed ingest answers deliver_sm_resp with ESME_RX_T_APPN so the SMSC retries", async () => {
    await driver.send(account, sms(), never());
    ingestGate = async () => {
      throw new Error("disk full");
    };
    expect(await smsc.sendReceipt("1000", "DELIVRD")).toBe(0x64);
  });

  test("receipt TLVs and an error code are read", async () => {
    await driver.send(account, sms(), never());
    await smsc.sendReceipt("1000", "UNDELIV", { err: "034", tlv: true });
    expect(driver.parseWebhook(account, ingested[0]!.req)).toEqual([
      { type: "status", providerId: "1000", status: "undelivered", errorCode: "034", errorMessage: "UNDELIV", at: expect.any(Number) },
    ]);
  });

  test("a mobile-originated message becomes an inbound SMS", async () => {
    await driver.send(account, sms(), never());
    expect(await smsc.sendMo("+15550001111", "+15550002222", "STOP")).toBe(0);
    const [event] = driver.parseWebhook(account, ingested[0]!.req);
    expect(event).toMatchObject({ type: "inbound", from: "+15550001111", to: "+15550002222", body: "STOP" });
    expect(event!.providerId).toBe((JSON.parse(ingested[0]!.req.body) as DeliverSmRecord).id);
  });

  test("one part of a long MO parses to its own text, UDH split off, with its part number", async () => {
    await driver.send(account, sms(), never());
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, 3, 2]);
    const status = await smsc.sendDeliverSm({
      source_addr: "15550001111", source_addr_ton: 1, destination_addr: "15550002222", dest_addr_ton: 1,
      esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([udh, Buffer.from("Olá", "utf16le").swap16()]),
    });
    expect(status).toBe(0);
    expect(driver.parseWebhook(account, ingested[0]!.req)).toEqual([
      { type: "inbound", providerId: expect.any(String), from: "+15550001111", to: "+15550002222", body: "Olá", at: expect.any(Number), part: { ref: 0x2a, total: 3, seq: 2 } },
    ]);
  });

  test("verifyWebhook refuses anything that came over HTTP", () => {
    const req = { url: account.webhookUrl, method: "POST", headers: {}, body: "{}" };
    expect(driver.verifyWebhook(account, req).ok).toBe(false);
  });
});

describe("smpp pdu helpers", () => {
  test.each([
    ["DELIVRD", "delivered"], ["ACCEPTD", "sent"], ["ENROUTE", "sent"], ["UNKNOWN", "sent"],
    ["EXPIRED", "undelivered"], ["UNDELIV", "undelivered"], ["DELETED", "failed"], ["REJECTD", "failed"],
  ])("receipt stat %s → %s", (stat, status) => {
    const rec = { pdu: "deliver_sm", id: "x", sourceAddr: "1", sourceTon: 1, destinationAddr: "2", destTon: 1, esmClass: 4, dataCoding: 0, receivedAt: 1,
      text: `id:abc sub:001 dlvrd:000 submit date:2601051500 done date:2601051501 stat:${stat} err:000 text:` } as DeliverSmRecord;
    expect(deliverSmToEvent(rec)).toMatchObject({ type: "status", providerId: "abc", status });
  });

  test("parses receipt text fields with spaces in their names", () => {
    expect(parseReceiptText("id:7 sub:001 dlvrd:001 submit date:2601051500 done date:2601051501 stat:DELIVRD err:000 text:hi")).toEqual({
      id: "7", sub: "001", dlvrd: "001", "submit date": "2601051500", "done date": "2601051501", stat: "DELIVRD", err: "000",
    });
  });

  test("never splits a surrogate pair or a GSM escape across parts", () => {
    const emoji = encodeParts("x".repeat(66) + "😀".repeat(10));
    expect(emoji[0]!.dataCoding).toBe(8);
    for (const p of emoji) expect((p.message.readUInt16BE(p.message.length - 2) & 0xfc00) === 0xd800).toBe(false);
    const euro = encodeParts("x".repeat(152) + "€".repeat(10));
    expect(euro[0]!.message.at(-1)).not.toBe(0x1b);
  });

  test.each([
    ["8-bit reference", [[0x00, 3, 0x2a, 3, 1]], { ref: 0x2a, total: 3, seq: 1 }],
    ["16-bit reference", [[0x08, 4, 0xbe, 0xef, 2, 2]], { ref: 0xbeef, total: 2, seq: 2 }],
    ["after another IE", [[0x24, 1, 0x02], [0x00, 3, 7, 2, 1]], { ref: 7, total: 2, seq: 1 }],
    ["part number 0 (ignored per TS 23.040)", [[0x00, 3, 7, 2, 0]], undefined],
    ["part number above the total", [[0x00, 3, 7, 2, 3]], undefined],
    ["a set of one part", [[0x00, 3, 7, 1, 1]], undefined],
    ["a wrong IE length", [[0x00, 2, 7, 2]], undefined],
    ["no concatenation IE", [[0x24, 1, 0x02]], undefined],
  ])("concatenation UDH: %s", (_, ies, expected) => expect(concatFromUdh(ies.map((ie) => Buffer.from(ie)))).toEqual(expected));

  test("SAR TLVs give a part number only when all three are there", () => {
    expect(concatFromSar({ sar_msg_ref_num: 0x1234, sar_total_segments: 3, sar_segment_seqnum: 3 })).toEqual({ ref: 0x1234, total: 3, seq: 3 });
    expect(concatFromSar({ sar_msg_ref_num: 0x1234, sar_total_segments: 3 })).toBeUndefined();
  });

  test("joining part texts mends a GSM escape split across a boundary and leaves other text alone", () => {
    expect(joinPartTexts(["costs 5\x1B", "e", " or \x1B", "(x)"])).toBe("costs 5€ or {x)");
    expect(joinPartTexts(["a\x1B", "b"])).toBe("a\x1Bb");
    expect(joinPartTexts(["\ud83d", "\ude00!"])).toBe("😀!");
  });

  test.each([
    ["+15551234567", { addr: "15551234567", ton: 1, npi: 1 }],
    ["Pombo", { addr: "Pombo", ton: 5, npi: 0 }],
    ["12345", { addr: "12345", ton: 0, npi: 1 }],
  ])("address %s", (value, expected) => expect(toSmppAddress(value)).toEqual(expected));
});
