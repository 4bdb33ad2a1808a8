/**
 * Long mobile-originated messages over SMPP, end to end: a fake SMSC (the `smpp` package's own server on
 * loopback) delivers the parts as a real one would — UDH + payload octets in short_message, or SAR TLVs — to a
 * whole Pombo on real LMDB; each set must become exactly one stored reply with the full text.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import smpp from "smpp";
import type { AuthContext } from "../../src/deps.ts";
import { linkAllAccounts } from "../../src/services/account-links.ts";
import { createAccount } from "../../src/services/accounts.ts";
import { listInbound } from "../../src/storage/inbound.ts";
import { isSuppressed } from "../../src/storage/suppressions.ts";
import { startFakeSmsc, type FakeSmsc } from "../helpers/fake-smsc.ts";
import { settle } from "../helpers/settle.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const CREDS = { systemId: "pombo", password: "s3cr3tpw" };
const OURS = "+12025550100";
const PHONE = "+15550001111";
const GSM = 0x00, UCS2 = 0x08;

let smsc: FakeSmsc;
let sys: TestSystem;
let auth: AuthContext;


beforeEach(async () => {
  smsc = await startFakeSmsc(CREDS);
  sys = makeSystem();
  auth = await makeCompany(sys);
  // Creating the account binds it (services/account-links.ts): no send needed for the SMSC to deliver.
  await createAccount(sys.deps, auth.company.id, { name: "SMSC", driver: "smpp", config: { host: "127.0.0.1", port: smsc.port, ...CREDS } });
  await smsc.waitForBind(1);
});

afterEach(async () => {
  await sys.destroy();
  await smsc.close();
});

const udh8 = (ref: number, total: number, seq: number) => Buffer.from([0x05, 0x00, 0x03, ref, total, seq]);
const udh16 = (ref: number, total: number, seq: number) => Buffer.from([0x06, 0x08, 0x04, ref >> 8, ref & 0xff, total, seq]);
const ucs2 = (text: string) => Buffer.from(text, "utf16le").swap16();
const gsm = (text: string): Buffer => smpp.gsmCoder.encode(text, 0x00);

/** Cuts `bytes` into chunks of `size` (the last one shorter), as a phone cuts a long message. */
function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** The deliver_sm of one UDH-numbered part: UDH and payload octets in short_message, UDHI set in esm_class. */
function udhPart(udh: Buffer, payload: Buffer, dataCoding: number) {
  return {
    source_addr: PHONE.slice(1), source_addr_ton: 1, source_addr_npi: 1, destination_addr: OURS.slice(1), dest_addr_ton: 1, dest_addr_npi: 1,
    esm_class: 0x40, data_coding: dataCoding, short_message: Buffer.concat([udh, payload]),
  };
}

/** Every part of a set, 8-bit reference, in order. */
function ucs2Parts(text: string, ref: number) {
  const cs = chunks(ucs2(text), 134);
  return cs.map((c, i) => udhPart(udh8(ref, cs.length, i + 1), c, UCS2));
}

/** Delivers PDUs one after the other; each must be acknowledged with status 0 (stored). */
async function deliver(...pdus: Record<string, unknown>[]): Promise<void> {
  for (const pdu of pdus) expect(await smsc.sendDeliverSm(pdu)).toBe(0);
}

/** Runs the webhook jobs, then returns every stored reply, oldest first. */
async function replies() {
  await settle(sys);
  return listInbound(sys.deps.storage, auth.company.id, { limit: 50 }).items.reverse();
}

// 66 Cyrillic letters then an emoji: the first 134-octet cut falls between the emoji's two UTF-16 halves.
const LONG_UCS2 = "д".repeat(66) + "😀 Привет, это длинный ответ из трёх частей. ".repeat(2) + "Конец.";
// 151 letters then "€" (ESC e): the 152-septet cut falls between the escape and its character.
const LONG_GSM = "A".repeat(151) + "€ costs {more} than you think, [really] ~ ^ | \\ the end.";

describe("smpp concatenated replies", () => {
  test("a 3-part UCS-2 reply with an 8-bit-reference UDH is stored once, whole (an emoji split across parts intact)", async () => {
    const parts = ucs2Parts(LONG_UCS2, 0x2a);
    expect(parts).toHaveLength(3);
    await deliver(...parts);
    const got = await replies();
    expect(got.map((r) => r.body)).toEqual([LONG_UCS2]);
    expect(got[0]).toMatchObject({ from: PHONE, to: OURS, intent: "message" });
  });

  test("a 2-part GSM reply with a 16-bit-reference UDH is stored once, an escape split across parts mended", async () => {
    const cs = chunks(gsm(LONG_GSM), 152);
    expect(cs[0]!.at(-1)).toBe(0x1b);
    await deliver(...cs.map((c, i) => udhPart(udh16(0xbeef, 2, i + 1), c, GSM)));
    expect((await replies()).map((r) => r.body)).toEqual([LONG_GSM]);
  });

  test("a reply numbered by SAR TLVs is stored once, whole", async () => {
    const texts = ["This reply is numbered by SAR TLVs, ", "not by a UDH, ", "and arrives in three parts."];
    await deliver(...texts.map((text, i) => ({
      source_addr: PHONE.slice(1), source_addr_ton: 1, source_addr_npi: 1, destination_addr: OURS.slice(1), dest_addr_ton: 1, dest_addr_npi: 1,
      esm_class: 0, data_coding: GSM, short_message: text, sar_msg_ref_num: 0x1234, sar_total_segments: 3, sar_segment_seqnum: i + 1,
    })));
    expect((await replies()).map((r) => r.body)).toEqual([texts.join("")]);
  });

  test("parts out of order are joined in part-number order", async () => {
    const [a, b, c] = ucs2Parts(LONG_UCS2, 7);
    await deliver(c!, a!);
    expect(await replies()).toEqual([]);
    await deliver(b!);
    expect((await replies()).map((r) => r.body)).toEqual([LONG_UCS2]);
  });

  test("a resent part, before or after the set is complete, neither doubles text nor stores a second reply", async () => {
    const [a, b, c] = ucs2Parts(LONG_UCS2, 9);
    await deliver(a!, a!, b!);
    await replies();
    await deliver(b!, c!);
    await replies();
    await deliver(c!, a!);
    expect((await replies()).map((r) => r.body)).toEqual([LONG_UCS2]);
  });

  test("parts on both sides of a restart (held, and acknowledged but not yet processed) make one reply", async () => {
    const [a, b, c] = ucs2Parts(LONG_UCS2, 11);
    await deliver(a!);
    expect(await replies()).toEqual([]);
    await deliver(b!); // acknowledged, so durable; not processed before the close
    await sys.close();
    sys = makeSystem({}, sys.dir);
    linkAllAccounts(sys.deps); // what startBackground does
    await smsc.waitForBind(2);
    await deliver(c!);
    const got = await replies();
    expect(got.map((r) => r.body)).toEqual([LONG_UCS2]);
    expect(got[0]).toMatchObject({ from: PHONE, to: OURS });
  });

  test("STOP in a single deliver_sm still opts the sender out", async () => {
    expect(await smsc.sendMo(PHONE, OURS, "STOP")).toBe(0);
    const got = await replies();
    expect(got.map((r) => [r.body, r.intent])).toEqual([["STOP", "stop"]]);
    expect(isSuppressed(sys.deps.storage, auth.company.id, PHONE)).toBe(true);
  });
});
