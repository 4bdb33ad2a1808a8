/**
 * The `sandbox` driver: the default for new accounts. It never touches the network. A send returns an id
 * `SB<hex>` and, `deliveryDelayMs` later, feeds a delivery report back through `host.ingest` — the same durable
 * path a real provider's webhook takes. Whether a message fails is a hash of its id, so runs are reproducible.
 */
import { createHash, randomBytes } from "node:crypto";
import { DriverError, type DriverAccount, type DriverField, type DriverHost, type OutboundSms, type SmsDriver, type WebhookEvent, type WebhookRequest } from "./driver.ts";
import { checkFields } from "./fields.ts";

export const SANDBOX_DEFAULT_DELAY_MS = 1000;

const FIELDS: DriverField[] = [
  { name: "deliveryDelayMs", label: "Delivery report delay (ms)", secret: false, required: false, type: "number", help: "Default 1000" },
  { name: "failureRate", label: "Failure rate (0–1)", secret: false, required: false, type: "number", help: "Share of messages reported failed/undelivered; default 0" },
];

/** A number in [0, 1) derived from `key`: the same message id always draws the same outcome. */
export function sandboxDraw(key: string): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/** The delivery report the sandbox will emit for `messageId` under `failureRate` (pure; exported for tests). */
export function sandboxOutcome(messageId: string, failureRate: number): { status: "delivered" | "failed" | "undelivered"; errorCode?: string; errorMessage?: string } {
  if (failureRate <= 0 || sandboxDraw(messageId) >= failureRate) return { status: "delivered" };
  return sandboxDraw(`${messageId}:kind`) < 0.5
    ? { status: "undelivered", errorCode: "sandbox_unreachable", errorMessage: "Simulated: handset unreachable" }
    : { status: "failed", errorCode: "sandbox_failed", errorMessage: "Simulated: carrier refused the message" };
}

/**
 * Builds the webhook a simulated reply travels as (`POST /api/v1/sandbox/inbound` hands it to `host.ingest`).
 * The id is drawn here so that re-parsing the stored webhook always yields the same event.
 */
export function sandboxInboundRequest(accountId: string, sms: { from: string; to: string; body: string; at?: number }): WebhookRequest {
  const event = { type: "inbound", providerId: "SBIN" + randomBytes(12).toString("hex"), from: sms.from, to: sms.to, body: sms.body, at: sms.at };
  return { url: `/webhooks/sandbox/${encodeURIComponent(accountId)}`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event) };
}

/** Creates the sandbox driver; its pending reports are flushed through `host.ingest` on `close()`. */
export function createSandboxDriver(host: DriverHost): SmsDriver {
  const pending = new Map<ReturnType<typeof setTimeout>, () => Promise<void>>();
  const buckets = new Map<string, Array<Record<string, unknown>>>();
  const inFlight = new Set<Promise<void>>();

  const fire = (report: () => Promise<void>) => {
    const p = report().catch((err) => host.log.error("sandbox report not ingested", { error: String(err) }));
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };

  return {
    name: "sandbox",
    label: "Sandbox (no network)",
    fields: FIELDS,
    validateConfig(config) {
      const bad = checkFields(FIELDS, config);
      if (bad) return bad;
      const delay = config.deliveryDelayMs;
      if (typeof delay === "number" && delay < 0) return "deliveryDelayMs must be 0 or more";
      const rate = config.failureRate;
      if (typeof rate === "number" && (rate < 0 || rate > 1)) return "failureRate must be between 0 and 1";
      return undefined;
    },
    async send(account, sms, signal) {
      if (signal.aborted) throw new DriverError("transient", "sandbox: aborted before sending");
      if (!/^\+\d{6,15}$/.test(sms.to)) throw new DriverError("rejected", "sandbox: 'to' is not an E.164 number", "invalid_number");
      const providerId = nextProviderId();
      const delay = numberOr(account.config.deliveryDelayMs, SANDBOX_DEFAULT_DELAY_MS);
      schedule(account, delay, statusEvent(account, sms, providerId));
      return { providerId };
    },
    verifyWebhook: () => ({ ok: false, reason: "sandbox events only enter through the process itself" }),
    parseWebhook: (_account, req) => parseSandboxEvent(req.body),
    webhookReply: () => new Response(null, { status: 204 }),
    simulateInbound: sandboxInboundRequest,
    async close() {
      for (const [timer, report] of pending) {
        clearTimeout(timer);
        fire(report);
      }
      pending.clear();
      buckets.clear();
      await Promise.all([...inFlight]);
    },
  };

  /**
   * Reports due within the same 50 ms slot for one account travel as one webhook (a JSON array), the way
   * providers batch callbacks under load: one durable write and one queue job for many reports.
   */
  function schedule(account: DriverAccount, delay: number, event: Record<string, unknown>): void {
    const due = Math.ceil((Date.now() + delay) / BATCH_SLOT_MS) * BATCH_SLOT_MS;
    const key = `${account.id}:${due}`;
    const open = buckets.get(key);
    if (open) {
      open.push(event);
      return;
    }
    const events = [event];
    buckets.set(key, events);
    const report = () => {
      const at = host.clock.now();
      const body = JSON.stringify(events.map((e) => ({ ...e, at })));
      return host.ingest("sandbox", account.id, { url: account.webhookUrl, method: "POST", headers: { "content-type": "application/json" }, body });
    };
    const timer = setTimeout(() => {
      pending.delete(timer);
      buckets.delete(key);
      fire(report);
    }, Math.max(0, due - Date.now()));
    (timer as { unref?: () => void }).unref?.();
    pending.set(timer, report);
  }

  function statusEvent(account: DriverAccount, sms: OutboundSms, providerId: string): Record<string, unknown> {
    const outcome = sandboxOutcome(sms.messageId, numberOr(account.config.failureRate, 0));
    return { type: "status", providerId, messageId: sms.messageId, to: sms.to, ...outcome };
  }
}

/** Unique provider ids without a random draw per message: a random prefix per process, then a counter. */
const ID_PREFIX = "SB" + randomBytes(8).toString("hex");
let idCounter = 0;
const nextProviderId = () => ID_PREFIX + (idCounter++).toString(36).padStart(8, "0");

/** Reports due within one slot of this many ms are delivered together. */
const BATCH_SLOT_MS = 50;

function numberOr(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/*
 * The sandbox's own wire format (JSON): one event, or an array of events (reports due together):
 *   {"type":"status","providerId":"SB3f9c0a…","messageId":"m_01","to":"+15551234567","status":"undelivered",
 *    "errorCode":"sandbox_unreachable","errorMessage":"Simulated: handset unreachable","at":1767625200000}
 *   {"type":"inbound","providerId":"SBIN81d2…","from":"+15551234567","to":"+15557654321","body":"STOP","at":1767625200000}
 */
function parseSandboxEvent(body: string): WebhookEvent[] {
  const parsed = JSON.parse(body) as unknown;
  return (Array.isArray(parsed) ? parsed : [parsed]).map((e) => parseOne(e as Record<string, unknown>));
}

function parseOne(e: Record<string, unknown>): WebhookEvent {
  if (!e || typeof e !== "object") throw new Error("sandbox webhook event is not an object");
  const str = (k: string) => (typeof e[k] === "string" ? (e[k] as string) : undefined);
  const at = typeof e.at === "number" ? e.at : undefined;
  const providerId = str("providerId");
  if (!providerId) throw new Error("sandbox webhook without providerId");
  if (e.type === "inbound") {
    const from = str("from");
    const to = str("to");
    if (!from || !to || typeof e.body !== "string") throw new Error("sandbox inbound without from/to/body");
    return { type: "inbound", providerId, from, to, body: e.body, at };
  }
  const status = str("status");
  if (e.type !== "status" || !status || !["queued", "sent", "delivered", "undelivered", "failed"].includes(status)) {
    throw new Error("sandbox webhook with an unknown type or status");
  }
  return { type: "status", providerId, status: status as "delivered", errorCode: str("errorCode"), errorMessage: str("errorMessage"), at };
}
