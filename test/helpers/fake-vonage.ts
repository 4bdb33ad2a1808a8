/**
 * A fake Vonage SMS API on 127.0.0.1:0: `POST /sms/json` (form or JSON) answering in Vonage's wire format
 * (HTTP 200 with `messages[].status`, even for errors), long text split into parts, the Reports API's records
 * search over the parts it accepted (fake-vonage-reports.ts), and delivery receipts /
 * inbound webhooks signed the documented way (sorted params, `&`/`=` → `_`, md5hash or HMAC), written here
 * independently of the driver's code so the two check each other.
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import type { WebhookRequest } from "../../src/drivers/driver.ts";
import { json, startFakeServer, type FakeServer, type RecordedRequest } from "./fake-http.ts";
import { searchVonageRecords, type ReportsContext, type VonageReportedMessage } from "./fake-vonage-reports.ts";

export type VonageSigAlgorithm = "md5hash" | "md5" | "sha1" | "sha256" | "sha512";
/** How a webhook is delivered: Vonage lets the account choose GET or POST (form or JSON). */
export type VonageHookStyle = "GET" | "POST-JSON" | "POST-FORM";

export interface VonageMessageRecord extends VonageReportedMessage {
  type: string; callback?: string;
}

export interface FakeVonage extends FakeServer {
  apiKey: string;
  apiSecret: string;
  signatureSecret: string;
  algorithm: VonageSigAlgorithm;
  messages: VonageMessageRecord[];
  /** Later sends to `msisdn` (digits) answer status 7, "Number barred". */
  bar(msisdn: string): void;
  /** The next send answers with this SMS API status code and error text (HTTP 200). */
  failNext(status: string, errorText: string): void;
  /** A signed delivery receipt for a stored message, aimed at its callback; the records search shows its status from then on. */
  receipt(messageId: string, status: string, opts?: { errCode?: string; style?: VonageHookStyle; timestamp?: number }): WebhookRequest;
  /** A signed inbound SMS posted to `url`. */
  inbound(url: string, sms: { msisdn: string; to: string; text: string }, opts?: { style?: VonageHookStyle; timestamp?: number }): WebhookRequest;
  /** Signs `params` with the fake's secret and algorithm. */
  sign(params: Record<string, string>): string;
}

/**
 * Starts the fake; `now` stamps webhook timestamps and message times (defaults to the wall clock); `recordsPageSize`
 * is how many records a search page holds (Vonage: 1,000); `recordsLagMs` how long after a send its record shows.
 */
export function startFakeVonage(opts: { algorithm?: VonageSigAlgorithm; now?: () => number; recordsPageSize?: number; recordsLagMs?: number } = {}): FakeVonage {
  const apiKey = "abcd1234";
  const apiSecret = "vonage-api-secret-" + randomBytes(6).toString("hex");
  const signatureSecret = "vonage-sig-secret-" + randomBytes(6).toString("hex");
  const algorithm = opts.algorithm ?? "sha256";
  const now = opts.now ?? Date.now;
  const messages: VonageMessageRecord[] = [];
  // Vonage's message ids look like "0A0000000123ABCD1": a hex counter, so the parts of a long text come in order.
  let counter = BigInt("0x" + randomBytes(7).toString("hex")) << 4n;
  const nextId = () => (counter++).toString(16).toUpperCase().padStart(16, "0");
  const barred = new Set<string>();
  const failures: Array<{ status: string; errorText: string }> = [];
  const error = (status: string, text: string) => json(200, { "message-count": "1", messages: [{ status, "error-text": text }] });

  const send = (req: RecordedRequest): Response => {
    const p = req.headers["content-type"]?.includes("json") ? (JSON.parse(req.body) as Record<string, string>) : Object.fromEntries(new URLSearchParams(req.body));
    if (p.api_key !== apiKey || p.api_secret !== apiSecret) return error("4", "Bad Credentials");
    for (const k of ["from", "to", "text"]) if (!p[k]) return error("2", `Missing ${k} param`);
    if (!/^\d{7,15}$/.test(p.to!)) return error("3", "Invalid to address");
    const planned = failures.shift();
    if (planned) return error(planned.status, planned.errorText);
    if (barred.has(p.to!)) return error("7", "Number barred.");
    const perPart = p.type === "unicode" ? 67 : 153;
    const parts = [...p.text!].length <= (p.type === "unicode" ? 70 : 160) ? 1 : Math.ceil([...p.text!].length / perPart);
    const out = Array.from({ length: parts }, () => {
      const m: VonageMessageRecord = {
        messageId: nextId(), to: p.to!, from: p.from!, text: p.text!, type: p.type ?? "text",
        callback: p.callback, clientRef: p["client-ref"], received: now(), status: "accepted",
      };
      messages.push(m);
      return { to: p.to, "message-id": m.messageId, status: "0", "remaining-balance": "3.14159265", "message-price": "0.03330000", network: "12345", "client-ref": p["client-ref"] };
    });
    return json(200, { "message-count": String(parts), messages: out });
  };

  const reports: ReportsContext = { apiKey, apiSecret, messages, now, pageSize: opts.recordsPageSize ?? 1000, lagMs: opts.recordsLagMs ?? 0, cursors: new Map() };
  const server = startFakeServer((req) => {
    if (req.method === "GET" && req.path === "/v2/reports/records") return { target: "lookup", run: () => searchVonageRecords(reports, req) };
    return { target: "send", run: () => (req.method === "POST" && req.path === "/sms/json" ? send(req) : new Response("Not Found", { status: 404 })) };
  });

  const sign = (params: Record<string, string>) => {
    const s = Object.keys(params).filter((k) => k !== "sig").sort().map((k) => `&${k}=${params[k]!.replace(/[&=]/g, "_")}`).join("");
    const hex = algorithm === "md5hash" ? createHash("md5").update(s + signatureSecret).digest("hex") : createHmac(algorithm, signatureSecret).update(s).digest("hex");
    return hex.toUpperCase();
  };
  const signed = (url: string, params: Record<string, string>, style: VonageHookStyle): WebhookRequest => {
    const all = { ...params, sig: sign(params) };
    if (style === "GET") return { url: `${url}?${new URLSearchParams(all)}`, method: "GET", headers: {}, body: "" };
    if (style === "POST-FORM") return { url, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(all).toString() };
    return { url, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(all) };
  };
  const stamp = (t: number) => new Date(t).toISOString().replace("T", " ").slice(0, 19) + " +0000";

  return {
    ...server, apiKey, apiSecret, signatureSecret, algorithm, messages, sign,
    bar: (msisdn) => void barred.add(msisdn),
    failNext: (status, errorText) => void failures.push({ status, errorText }),
    receipt(messageId, status, o = {}) {
      const m = messages.find((x) => x.messageId === messageId);
      if (!m?.callback) throw new Error(`fake vonage: no message ${messageId} with a callback`);
      const t = o.timestamp ?? now();
      Object.assign(m, { status, errCode: o.errCode ?? "0", finalized: t });
      return signed(m.callback, {
        msisdn: m.to, to: m.from, "network-code": "12345", messageId, price: "0.03330000", status, scts: "2601051500",
        "err-code": o.errCode ?? "0", "api-key": apiKey, ...(m.clientRef ? { "client-ref": m.clientRef } : {}),
        "message-timestamp": stamp(t), timestamp: String(Math.floor(t / 1000)), nonce: randomUUID(),
      }, o.style ?? "POST-JSON");
    },
    inbound(url, sms, o = {}) {
      const t = o.timestamp ?? now();
      return signed(url, {
        "api-key": apiKey, msisdn: sms.msisdn, to: sms.to, messageId: randomBytes(8).toString("hex").toUpperCase(), text: sms.text, type: "text",
        keyword: sms.text.split(/\s+/)[0]!.toUpperCase(), "message-timestamp": stamp(t), timestamp: String(Math.floor(t / 1000)), nonce: randomUUID(),
      }, o.style ?? "POST-JSON");
    },
  };
}
