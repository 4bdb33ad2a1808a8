/**
 * Webhook fuzzing: seeded malformed requests to every driver's route through `app.handle` — random bytes, wrong
 * content types, huge and many headers, truncated forms, JSON of wrong shapes, garbage signatures, and garbage
 * bodies carrying a VALID signature (signed the provider's way with the account's own secret). Every answer
 * must be 403 or a clean 2xx/4xx, never a 500. Then the stored garbage is processed by the real queue: every
 * job ends processed or dead-lettered, nothing stays stuck and nothing escapes as an unhandled rejection.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, createHmac, generateKeyPairSync, sign as edSign, type KeyObject } from "node:crypto";
import { parseForm } from "../../src/drivers/fields.ts";
import { computePlivoSignatureV3 } from "../../src/drivers/plivo-signature.ts";
import { computeTwilioSignature } from "../../src/drivers/twilio-signature.ts";
import { signVonageParams } from "../../src/drivers/vonage-signature.ts";
import { createAccount } from "../../src/services/accounts.ts";
import { makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";
import { Prng } from "./prng.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const PER_DRIVER = 300;
const BASE = "http://pombo.test";
let sys: TestSystem;
let telnyxKey: KeyObject;
const accounts: Record<string, string> = {};
const SECRETS = {
  twilio: { accountSid: "AC" + "f00d".repeat(8), authToken: "twilio-token-" + "7".repeat(20) },
  plivo: { authId: "MAFUZZFUZZFUZZFUZZ00", authToken: "plivo-token-" + "5".repeat(20) },
  vonage: { apiKey: "fuzzkey1", apiSecret: "vonage-secret-1", signatureSecret: "vonage-sig-secret-" + "3".repeat(10) },
};

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  sys = makeSystem();
  const auth = await makeCompany(sys, "Fuzz");
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  telnyxKey = privateKey;
  const telnyxPublic = (publicKey.export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("base64");
  const configs: Record<string, Record<string, unknown>> = {
    sandbox: { deliveryDelayMs: 0 },
    twilio: SECRETS.twilio,
    plivo: SECRETS.plivo,
    vonage: SECRETS.vonage,
    telnyx: { apiKey: "KEYFUZZ", publicKey: telnyxPublic },
  };
  for (const [driver, config] of Object.entries(configs)) accounts[driver] = (await createAccount(sys.deps, auth.company.id, { name: driver, driver, config })).id;
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await sys.destroy();
});

const CONTENT_TYPES = [undefined, "application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data", "multipart/form-data; boundary=", "application/xml", "a/b; charset=ebcdic", "application/json; charset=utf-16", "text/csv"];
const JSON_SHAPES = ["[]", "1", "null", '"s"', "{}", '{"data":[]}', '{"data":{"payload":5}}', '{"data":{"event_type":"message.received","payload":{"to":"x","from":7}}}', '{"meta":{"delivered_to":5}}', '[{"type":"status"}]', '{"status":{"a":[1,2]}}', "[".repeat(3000) + "]".repeat(3000), '{"a":'.repeat(500) + "1" + "}".repeat(500), '{"MessageSid":["x"],"MessageStatus":{}}'];
const FORMS = ["To=%2B1&Bo", "a=%", "%zz=1&&&==", "MessageSid=&MessageStatus=", "MessageSid=SM1&MessageStatus=delivered&ErrorCode=abc", "From=%2B1&To=&Body=" + "%F0%9F".repeat(50), "MessageUUID=x&Status=&To=%00", "msisdn=&to=&messageId=&status=delivered&scts=9999999999", "text=STOP&msisdn=1&to=2&messageId=3&type=text", "=&=&=", "&".repeat(5000)];

/** A garbage body: random bytes, random text, a truncated form or a JSON of the wrong shape. */
function garbageBody(r: Prng): string | Uint8Array<ArrayBuffer> {
  switch (r.int(0, 5)) {
    case 0: return r.bytes(r.int(0, 2048));
    case 1: return r.string(r.int(0, 500));
    case 2: return r.pick(FORMS);
    case 3: return r.pick(JSON_SHAPES);
    case 4: return JSON.stringify({ [r.string(5)]: r.string(20), data: r.chance(0.5) ? { payload: r.string(10) } : r.string(3) });
    default: return r.chance(0.1) ? "x=".padEnd(r.pick([70_000, 1_100_000]), "y") : "";
  }
}

/** Random or wrong signature headers for any provider. */
function garbageHeaders(r: Prng): Record<string, string> {
  const h: Record<string, string> = {};
  const sigs = ["x-twilio-signature", "x-plivo-signature-v3", "x-plivo-signature-v3-nonce", "telnyx-signature-ed25519", "telnyx-timestamp"];
  for (const name of sigs) if (r.chance(0.4)) h[name] = r.pick(["", "=", "AAAA", Buffer.from(r.bytes(64)).toString("base64"), r.string(30, "abc123+/=,"), String(Math.floor(sys.clock.now() / 1000)), "-1", "9".repeat(30)]);
  if (r.chance(0.15)) h["x-huge"] = "h".repeat(r.pick([8_000, 60_000]));
  if (r.chance(0.1)) for (let i = 0; i < 200; i++) h[`x-many-${i}`] = r.string(5, "abc");
  return h;
}

/** A garbage text body with a valid signature for `driver`'s account (the provider's own signing rules). */
function signedGarbage(r: Prng, driver: string, url: string): { body: string; headers: Record<string, string>; url: string } {
  const body = r.chance(0.5) ? r.pick([...FORMS, ...JSON_SHAPES.slice(0, 11)]) : r.string(r.int(0, 300));
  const type = r.pick(["application/x-www-form-urlencoded", "application/json", "text/plain"]);
  const now = sys.clock.now();
  if (driver === "twilio") {
    return { body, url, headers: { "content-type": type, "x-twilio-signature": computeTwilioSignature(SECRETS.twilio.authToken, url, parseForm(body)) } };
  }
  if (driver === "plivo") {
    const nonce = String(r.int(1, 1e9));
    return { body, url, headers: { "content-type": type, "x-plivo-signature-v3-nonce": nonce, "x-plivo-signature-v3": computePlivoSignatureV3(SECRETS.plivo.authToken, "POST", url, parseForm(body), nonce) } };
  }
  if (driver === "telnyx") {
    const ts = String(Math.floor(now / 1000));
    const sig = edSign(null, Buffer.from(`${ts}|${body}`), telnyxKey).toString("base64");
    return { body, url, headers: { "content-type": type, "telnyx-signature-ed25519": sig, "telnyx-timestamp": ts } };
  }
  // Vonage signs parameters (here: a garbage form, in the query string of a GET-like callback, and a timestamp).
  const params: Record<string, string> = { timestamp: String(Math.floor(now / 1000)), [r.string(4, "abcdef")]: r.string(r.int(0, 40)) };
  if (r.chance(0.5)) Object.assign(params, { status: r.string(6), messageId: r.string(8), msisdn: r.string(11, "0123456789"), "message-timestamp": r.string(19) });
  const q = new URLSearchParams({ ...params, sig: signVonageParams(params, SECRETS.vonage.signatureSecret, "sha256") });
  return { body: "", url: `${url}?${q}`, headers: {} };
}

test(`${PER_DRIVER} malformed requests per driver route: 403 or a clean 2xx/4xx, never 500; stored garbage ends processed or dead`, async () => {
  const r = new Prng(0xc0ffee);
  const counts: Record<string, Record<number, number>> = {};
  const problems: string[] = [];
  const targets = [...Object.keys(accounts).map((d) => [d, accounts[d]!]), ["smpp", accounts.twilio!], ["twilio", "no-such-account"], ["nope", accounts.twilio!], ["twilio", accounts.plivo!]] as [string, string][];
  const label = (driver: string, accountId: string) => `${driver}/${Object.keys(accounts).find((d) => accounts[d] === accountId) ?? accountId} account`;
  for (const [driver, accountId] of targets) {
    const path = `/webhooks/${driver}/${accountId}`;
    const name = label(driver, accountId);
    for (let i = 0; i < PER_DRIVER; i++) {
      let url = `${BASE}${path}`;
      let method = r.chance(0.85) ? "POST" : "GET";
      let headers: Record<string, string>;
      let body: string | Uint8Array<ArrayBuffer> | undefined;
      if (r.chance(0.4) && driver in SECRETS || (driver === "telnyx" && r.chance(0.4))) {
        const s = signedGarbage(r, driver, url);
        ({ url, headers, body } = s);
        if (driver === "vonage") method = "GET";
      } else {
        headers = garbageHeaders(r);
        const type = r.pick(CONTENT_TYPES);
        if (type) headers["content-type"] = type;
        body = garbageBody(r);
        if (r.chance(0.2)) url += `?${r.string(r.int(1, 200), "ab=&%?#+0123456789")}`;
      }
      const res = await sys.app.handle(new Request(url, { method, headers, body: method === "GET" ? undefined : body }));
      (counts[name] ??= {})[res.status] = (counts[name]![res.status] ?? 0) + 1;
      if (res.status >= 500) problems.push(`${method} ${path} #${i}: ${res.status} ${await res.text()}`);
      else if (res.status >= 400 && res.status !== 403) {
        const text = await res.text();
        if (!text.includes('"error"')) problems.push(`${method} ${path} #${i}: ${res.status} without the error shape: ${text.slice(0, 200)}`);
      }
    }
  }
  console.log("webhook fuzz answers by route:", JSON.stringify(counts));
  expect(problems.slice(0, 10)).toEqual([]);
  // The signed-garbage path was really exercised for every signing driver.
  for (const d of ["twilio", "plivo", "vonage", "telnyx"]) {
    const c = counts[label(d, accounts[d]!)]!;
    expect({ d, accepted: Object.entries(c).some(([s, n]) => Number(s) < 300 && n > 0) }).toEqual({ d, accepted: true });
  }

  // Process what was stored: retries run on the fake clock until every job is done or dead.
  for (let round = 0; round < 40; round++) {
    await sys.runner.runUntilEmpty();
    sys.clock.advance(3_600_000);
  }
  const webhooks = sys.deps.queue.stats().find((q) => q.name === "webhooks")!;
  console.log("webhooks queue after processing:", JSON.stringify(webhooks));
  expect({ depth: webhooks.depth, delayed: webhooks.delayed, running: webhooks.running }).toEqual({ depth: 0, delayed: 0, running: 0 });
  expect(unhandled).toEqual([]);
  expect((await sys.app.handle(new Request(`${BASE}/healthz`))).status).toBe(200);
}, 60_000);

test("a webhook body over 1 MiB is refused with 413 before it is read whole, chunked or not; nothing is stored", async () => {
  const url = `${BASE}/webhooks/twilio/${accounts.twilio}`;
  const before = sys.deps.queue.stats().find((q) => q.name === "webhooks")!;
  const big = "a=" + "x".repeat(2 * 1024 * 1024);
  const sized = await sys.app.handle(new Request(url, { method: "POST", body: big, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(big.length) } }));
  expect(sized.status).toBe(413);
  expect((await sized.json()).error.code).toBe("body_too_large");
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 40; i++) c.enqueue(new Uint8Array(64 * 1024).fill(97));
      c.close();
    },
  });
  const chunked = await sys.app.handle(new Request(url, { method: "POST", body: stream, headers: { "content-type": "application/x-www-form-urlencoded" } }));
  expect(chunked.status).toBe(413);
  await sys.deps.queue.settled();
  expect(sys.deps.queue.inboxDepth()).toBe(0);
  expect(sys.deps.queue.stats().find((q) => q.name === "webhooks")!.depth).toBe(before.depth);
});
