/**
 * The `smpp` driver: SMPP v3.4 over TCP (or TLS) via the `smpp` package, one bind_transceiver session
 * per account. Sends are submit_sm with registered_delivery; receipts and replies arrive as deliver_sm
 * on the same link, are stored through `host.ingest` (then acknowledged) and parsed by `parseWebhook`.
 * `connect` binds an account without waiting for a send (services call it at start-up and on account
 * changes), so replies reach an account that has sent nothing since the process started. `linkStatus` tells
 * whether each account is bound (or connecting, or down and why) for the account view and /metrics.
 *
 * Long text: we split it ourselves with a concatenation UDH (see `encodeParts`) rather than use the
 * message_payload TLV, because UDH concatenation works on every v3.4 SMSC while message_payload support
 * varies. The first part's message_id is the message's provider id; every part asks for a receipt, and
 * receipts for the other parts simply match no message.
 *
 * Long replies arrive as one deliver_sm per part; each is stored and acknowledged on its own, and its event
 * carries `part` (from the UDH or the SAR TLVs, see smpp-concat.ts): services/inbound-parts.ts joins the set.
 */
import type { DriverAccount, DriverField, DriverHost, LinkStatus, OutboundSms, SendResult, SmsDriver, VerifyResult, WebhookEvent, WebhookRequest } from "./driver.ts";
import { DriverError } from "./driver.ts";
import { joinPartTexts } from "./smpp-concat.ts";
import { deliverSmToEvent, encodeParts, toSmppAddress, type DeliverSmRecord } from "./smpp-pdu.ts";
import { defaultTuning, SmppSession, type SmppEndpoint, type SmppTuning } from "./smpp-session.ts";

const fields: DriverField[] = [
  { name: "host", label: "SMSC host", secret: false, required: true, type: "string" },
  { name: "port", label: "SMSC port", secret: false, required: true, type: "number", help: "Usually 2775, or 3550 with TLS" },
  { name: "systemId", label: "System ID", secret: false, required: true, type: "string" },
  { name: "password", label: "Password", secret: true, required: true, type: "string" },
  { name: "systemType", label: "System type", secret: false, required: false, type: "string" },
  { name: "tls", label: "Use TLS", secret: false, required: false, type: "boolean" },
];

/** Reads and checks an account's config; returns a message naming the first bad field. */
function readEndpoint(config: Record<string, unknown>): SmppEndpoint | string {
  const { host, port, systemId, password, systemType, tls } = config;
  if (typeof host !== "string" || !host) return "host is required";
  const portNumber = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof portNumber !== "number" || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) return "port must be a TCP port number";
  if (typeof systemId !== "string" || !systemId) return "systemId is required";
  if (typeof password !== "string" || !password) return "password is required";
  if (systemType !== undefined && typeof systemType !== "string") return "systemType must be text";
  if (tls !== undefined && typeof tls !== "boolean") return "tls must be true or false";
  return { host, port: portNumber, systemId, password, systemType: systemType || undefined, tls: tls === true };
}

/** The SMPP driver, with its optional hooks present and `isBound` for tests and health. */
export type SmppDriver = SmsDriver & Required<Pick<SmsDriver, "connect" | "disconnect" | "close" | "linkStatus">> & { isBound(accountId: string): boolean };

/**
 * Creates the SMPP driver. Sessions live in the driver (one per account) until `disconnect` or `close()`.
 * `tuning` shrinks timings for tests; production uses the defaults.
 */
export function createSmppDriver(host: DriverHost, tuning: Partial<SmppTuning> = {}): SmppDriver {
  const opts = { ...defaultTuning, ...tuning };
  const sessions = new Map<string, { key: string; session: SmppSession }>();
  /** Accounts `connect` could not bind because their config is unusable: shown as down, with the problem. */
  const unusable = new Map<string, LinkStatus>();
  let isClosed = false;
  /** Sessions being unbound (account deleted or reconfigured): `close()` waits for them too. */
  const closing = new Set<Promise<void>>();
  const retire = (session: SmppSession): Promise<void> => {
    const done = session.close().finally(() => closing.delete(done));
    closing.add(done);
    return done;
  };

  const sessionFor = (account: DriverAccount, endpoint: SmppEndpoint): SmppSession => {
    if (isClosed) throw new DriverError("transient", "SMPP driver is closed");
    const key = JSON.stringify(endpoint);
    const known = sessions.get(account.id);
    if (known?.key === key) return known.session;
    if (known) void retire(known.session); // the config changed: drop the old bind
    const ingest = (rec: DeliverSmRecord) =>
      host.ingest("smpp", account.id, { url: `smpp://${endpoint.host}:${endpoint.port}`, method: "SMPP", headers: {}, body: JSON.stringify(rec) });
    const session = new SmppSession(endpoint, opts, { clock: host.clock, log: host.log, onDeliverSm: ingest });
    sessions.set(account.id, { key, session });
    return session;
  };

  return {
    name: "smpp",
    label: "SMPP (direct to an SMSC)",
    fields,
    validateConfig: (config) => {
      const endpoint = readEndpoint(config);
      return typeof endpoint === "string" ? endpoint : undefined;
    },

    async send(account: DriverAccount, sms: OutboundSms, signal: AbortSignal): Promise<SendResult> {
      const endpoint = readEndpoint(account.config);
      if (typeof endpoint === "string") throw new DriverError("config", `smpp account config: ${endpoint}`);
      const session = sessionFor(account, endpoint);
      const src = toSmppAddress(sms.from);
      const dst = toSmppAddress(sms.to);
      const parts = encodeParts(sms.body);
      let providerId: string | undefined;
      for (const part of parts) {
        const params = {
          source_addr: src.addr, source_addr_ton: src.ton, source_addr_npi: src.npi,
          destination_addr: dst.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi,
          esm_class: part.hasUdh ? 0x40 : 0x00, registered_delivery: 1, data_coding: part.dataCoding, short_message: part.message,
        };
        try {
          const id = await session.submit(params, signal);
          providerId ??= id;
        } catch (e) {
          // Once a part is out, the recipient may see a fragment: a retry would duplicate it.
          if (providerId && e instanceof DriverError) throw new DriverError("unknown_outcome", `part of a concatenated message failed: ${e.message}`, e.code);
          throw e;
        }
      }
      return { providerId: providerId! };
    },

    /** SMPP events never come over HTTP: anything posted to /webhooks/smpp/... is refused. */
    verifyWebhook: (): VerifyResult => ({ ok: false, reason: "smpp events arrive over the SMPP link, never over HTTP" }),

    /** Parses a deliver_sm record this driver ingested (see `DeliverSmRecord`). @throws Error on a malformed body. */
    parseWebhook(_account: DriverAccount, req: WebhookRequest): WebhookEvent[] {
      const rec = JSON.parse(req.body) as DeliverSmRecord;
      if (rec?.pdu !== "deliver_sm") throw new Error("not an SMPP deliver_sm record");
      return [deliverSmToEvent(rec)];
    },

    webhookReply: () => new Response(null, { status: 204 }),

    /** Mends a GSM escape split across two parts (see smpp-concat.ts). */
    joinParts: joinPartTexts,

    /** Binds now, in the background (re-binding with backoff until it succeeds); a changed config drops the old bind first. */
    connect(account: DriverAccount): void {
      if (isClosed) return;
      const endpoint = readEndpoint(account.config);
      if (typeof endpoint === "string") {
        unusable.set(account.id, { state: "down", since: host.clock.now(), lastError: `bad config: ${endpoint}` });
        return host.log.warn("smpp account not bound: bad config", { accountId: account.id, problem: endpoint });
      }
      unusable.delete(account.id);
      sessionFor(account, endpoint).start();
    },

    async disconnect(accountId: string): Promise<void> {
      const known = sessions.get(accountId);
      sessions.delete(accountId);
      unusable.delete(accountId);
      if (known) await retire(known.session);
    },

    isBound: (accountId) => sessions.get(accountId)?.session.isBound ?? false,

    linkStatus: (accountId) => sessions.get(accountId)?.session.linkStatus ?? unusable.get(accountId),

    async close(): Promise<void> {
      isClosed = true;
      const all = [...sessions.values()];
      sessions.clear();
      for (const { session } of all) void retire(session);
      await Promise.all([...closing]);
    },
  };
}
