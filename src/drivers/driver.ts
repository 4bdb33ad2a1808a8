/**
 * The one contract every SMS provider driver implements. Nothing outside src/drivers/ names a provider:
 * services see only `SmsDriver`, the registry and the shared webhook event types below.
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";

/** A configuration field, described for the UI (`GET /api/v1/drivers`). */
export interface DriverField {
  name: string;
  label: string;
  /** Secret fields are write-only: stored encrypted, never returned by the API. */
  secret: boolean;
  required: boolean;
  type: "string" | "number" | "boolean";
  help?: string;
}

/** The account a driver works for: its id, its config (secrets decrypted) and the URL the provider calls back. */
export interface DriverAccount {
  id: string;
  config: Record<string, unknown>;
  /** BASE_URL + /webhooks/:driver/:accountId — status callbacks and inbound go here; signatures are checked against it. */
  webhookUrl: string;
}

/** One message to hand to the provider. `messageId` is ours, usable as an idempotency key. */
export interface OutboundSms {
  messageId: string;
  from: string;
  to: string;
  body: string;
}

export interface SendResult {
  providerId: string;
}

/** A webhook as plain data (never Elysia's context): the full URL it was posted to, lower-cased headers, the raw body. */
export interface WebhookRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export type ProviderStatus = "queued" | "sent" | "delivered" | "undelivered" | "failed";

/** A delivery report, mapped to our statuses. */
export interface StatusUpdate {
  type: "status";
  providerId: string;
  status: ProviderStatus;
  errorCode?: string;
  errorMessage?: string;
  /** The carrier says the recipient opted out (e.g. Twilio 21610): suppress the number. */
  optOut?: boolean;
  /** Epoch ms the provider stamped, when it gives one. */
  at?: number;
}

/** Where a part sits in a concatenated message: the sender's reference (shared by every part), the part count, this part's number (1-based). */
export interface InboundPart {
  ref: number;
  total: number;
  seq: number;
}

/** A message a recipient sent to one of our numbers. */
export interface InboundSms {
  type: "inbound";
  providerId: string;
  from: string;
  to: string;
  body: string;
  at?: number;
  /**
   * Set by drivers that receive long messages in parts (SMPP): `body` is this part only. Services keep parts
   * until the set is complete and store one reply (services/inbound-parts.ts).
   */
  part?: InboundPart;
}

export type WebhookEvent = StatusUpdate | InboundSms;

export type DriverErrorKind =
  | "throttled" //       slow down; retryAfterMs when the provider said so
  | "transient" //       5xx, connection refused before the request was written: safe to retry
  | "rejected" //        the provider refused this message for good (bad number, content)
  | "opted_out" //       the recipient opted out at the carrier: suppress
  | "config" //          credentials or settings are wrong: pause the account
  | "unknown_outcome"; // the request may have reached the provider (timeout after the body was sent): never re-send blindly

/** A classified send failure. `services/sending.ts` is the only place that turns it into an outcome. */
export class DriverError extends Error {
  constructor(
    readonly kind: DriverErrorKind,
    message: string,
    readonly code?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "DriverError";
  }
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** What the process gives drivers: a clock, a logger, and a durable way to inject provider events (sandbox, SMPP). */
export interface DriverHost {
  clock: Clock;
  log: Logger;
  /**
   * Stores a webhook durably in the `webhooks` queue as if it had arrived over HTTP, already trusted.
   * Used by drivers whose events do not come over HTTP (sandbox timers, SMPP deliver_sm).
   */
  ingest(driver: string, accountId: string, req: WebhookRequest): Promise<void>;
}

/**
 * The state of an account's standing link (drivers that keep one, i.e. SMPP), for the account view, the UI and
 * /metrics. `connecting`: opening, nothing has failed yet; `bound`: up; `down`: the last attempt failed or the
 * link dropped — the driver keeps retrying with backoff, `lastError` says why (never a secret).
 */
export interface LinkStatus {
  state: "bound" | "connecting" | "down";
  /** Epoch ms of the last change of `state`. */
  since: number;
  lastError?: string;
  /** Failed binds in a row (absent while none failed). */
  attempts?: number;
}

export interface SmsDriver {
  readonly name: string;
  readonly label: string;
  readonly fields: DriverField[];
  /** Returns a message naming the first bad field, or undefined when the config is usable. */
  validateConfig(config: Record<string, unknown>): string | undefined;
  /** @throws DriverError, classified. */
  send(account: DriverAccount, sms: OutboundSms, signal: AbortSignal): Promise<SendResult>;
  /** Checks the provider's signature (and timestamp, where it gives one) on a webhook that came over HTTP. */
  verifyWebhook(account: DriverAccount, req: WebhookRequest): VerifyResult;
  /** Turns a verified (or internally ingested) webhook into events. @throws Error on a malformed body. */
  parseWebhook(account: DriverAccount, req: WebhookRequest): WebhookEvent[];
  /** The answer the provider expects once the webhook is stored (e.g. Twilio's empty TwiML). */
  webhookReply(): Response;
  /** Asks the provider what became of messages to `to` (reconciles sends whose outcome is unknown). */
  lookup?(account: DriverAccount, query: { to: string; since?: number }, signal: AbortSignal): Promise<Array<StatusUpdate & { to: string; body?: string }>>;
  /**
   * How long after a send the provider's `lookup` may still not list it (its records are eventually consistent).
   * A message not found is re-sent only once this long has passed since its outcome became unknown; default
   * 5 minutes (services/reconcile.ts).
   */
  lookupLagMs?: number;
  /** Builds the webhook a simulated reply travels as (drivers that can simulate, i.e. the sandbox). */
  simulateInbound?(accountId: string, sms: { from: string; to: string; body: string; at?: number }): WebhookRequest;
  /** Joins the bodies of a concatenated reply's parts, in order (drivers that deliver `InboundSms.part`; default: plain concatenation). */
  joinParts?(bodies: string[]): string;
  /**
   * Opens a standing link for the account, or re-opens it when its config changed, so the provider can push
   * receipts and replies before anything is sent (drivers with a persistent connection, i.e. SMPP). Returns at
   * once: a link that cannot open is logged and retried by the driver, never thrown. Safe to call again.
   */
  connect?(account: DriverAccount): void;
  /** The state of the account's standing link; undefined when the driver has none open for it. */
  linkStatus?(accountId: string): LinkStatus | undefined;
  /** Closes the account's standing link, if it has one (the account was deleted). Safe to call twice. */
  disconnect?(accountId: string): Promise<void>;
  /** Releases connections (SMPP sessions, timers) at shutdown. */
  close?(): Promise<void>;
}
