/**
 * One SMPP transceiver session to one SMSC, as the `smpp` driver uses it: opened by `start()` (the driver's
 * `connect`, at start-up and on account changes) or else on the first send, kept alive with enquire_link,
 * re-bound with exponential backoff when the link drops or a bind fails (SMSC down), and limited to a window
 * of outstanding submit_sm. deliver_sm is acknowledged only once it is stored. What the link is doing (bound,
 * connecting, down and why) is `linkStatus`, kept and logged by smpp-link.ts.
 *
 * Bun note: the `smpp` package's `net`/`tls` socket code (`'readable'` + `socket.read(n)`) works under
 * Bun as is, including PDUs split across TCP reads; we never call `Session.connect()` to reuse a closed
 * socket, but open a fresh `smpp.connect()` per attempt, which sidesteps reconnecting a destroyed socket.
 */
import { randomUUID } from "node:crypto";
import smpp from "smpp";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { DriverError, type LinkStatus } from "./driver.ts";
import { SmppLinkTracker } from "./smpp-link.ts";
import { classifyBindStatus, classifySubmitStatus, toDeliverSmRecord, type DeliverSmRecord } from "./smpp-pdu.ts";

const ESME = smpp.errors;

/** Where and how to bind. */
export interface SmppEndpoint {
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password: string;
  systemType?: string;
}

/** Timings and limits; the defaults suit a real SMSC, tests shrink them. */
export interface SmppTuning {
  /** Outstanding submit_sm allowed before send() waits (default 10). */
  window: number;
  enquireLinkMs: number;
  /** How long to wait for any *_resp (bind, submit, enquire_link) before giving up on it. */
  responseTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const defaultTuning: SmppTuning = { window: 10, enquireLinkMs: 30_000, responseTimeoutMs: 30_000, backoffMinMs: 1_000, backoffMaxMs: 60_000 };

type State = "idle" | "connecting" | "bound" | "backoff" | "closed";

/** A self-healing transceiver session, bound on `start()` or on the first submit. */
export class SmppSession {
  private state: State = "idle";
  private session: any;
  private binding?: Promise<void>;
  /** Resolves when the current socket has closed. */
  private socketGone: Promise<void> = Promise.resolve();
  private lastError?: DriverError;
  private attempt = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private keepalive?: ReturnType<typeof setInterval>;
  private inFlight = 0;
  private readonly waiters: Array<{ grant(): void; signal: AbortSignal }> = [];
  private readonly pending = new Set<(err: DriverError) => void>();
  private readonly link: SmppLinkTracker;

  constructor(
    private readonly endpoint: SmppEndpoint,
    private readonly tuning: SmppTuning,
    private readonly deps: { clock: Clock; log: Logger; onDeliverSm(rec: DeliverSmRecord): Promise<void> },
  ) {
    this.link = new SmppLinkTracker(deps, { host: endpoint.host, port: endpoint.port, systemId: endpoint.systemId });
  }

  /** True while bound: for tests and health. */
  get isBound(): boolean {
    return this.state === "bound";
  }

  /** Bound, connecting or down (with why and how many binds failed in a row). */
  get linkStatus(): LinkStatus {
    return this.link.current;
  }

  /**
   * Submits one submit_sm and resolves with the SMSC's message_id.
   * @throws DriverError: transient when unbound or not written, unknown_outcome when written but unanswered.
   */
  async submit(params: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    await this.ready(signal);
    await this.acquire(signal);
    try {
      return await this.submitNow(params, signal);
    } finally {
      this.release();
    }
  }

  /**
   * Binds in the background now, so the SMSC can deliver before anything is sent. Returns at once: a failed
   * bind is logged and retried with backoff until it succeeds or `close()`. Safe to call again (no-op unless idle).
   */
  start(): void {
    if (this.state === "idle") this.binding = this.open();
  }

  /** Unbinds and closes the link; no reconnect after this. Safe to call twice. Takes at most one response timeout. */
  async close(): Promise<void> {
    const wasBound = this.state === "bound";
    this.state = "closed";
    clearTimeout(this.retryTimer);
    clearInterval(this.keepalive);
    const s = this.session;
    if (!s) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.tuning.responseTimeoutMs)));
    // Each wait also ends when the socket closes: the SMSC may drop it before (or right after) unbind_resp.
    const gone = this.socketGone;
    if (wasBound) await Promise.race([new Promise<void>((done) => s.unbind(() => done()) || done()), gone, limit]);
    s.destroy();
    await Promise.race([gone, limit]);
    clearTimeout(timer);
  }

  private async ready(signal: AbortSignal): Promise<void> {
    if (this.state === "bound") return;
    if (this.state === "closed") throw new DriverError("transient", "SMPP driver is closed");
    if (this.state === "backoff") throw this.lastError ?? new DriverError("transient", "SMPP session not bound; reconnecting");
    if (this.state === "idle") this.binding = this.open();
    await abortable(this.binding!, signal, () => new DriverError("transient", "send aborted before bind"));
  }

  private open(): Promise<void> {
    this.state = "connecting";
    this.lastError = undefined;
    const { host, port, tls } = this.endpoint;
    const s = smpp.connect({ host, port, tls, servername: host });
    this.session = s;
    this.socketGone = new Promise<void>((resolve) => s.once("close", () => resolve()));
    const bound = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.drop(s, `no bind_resp within ${this.tuning.responseTimeoutMs} ms`), this.tuning.responseTimeoutMs);
      s.on("error", (e: NodeJS.ErrnoException) => {
        // Logged once, with the state change in onClose: a refused connection is retried for as long as the SMSC is down.
        this.deps.log.debug("smpp socket error", { host, port, code: e.code });
        const what = this.state === "bound" ? `link to ${host}:${port} lost` : `cannot connect to ${host}:${port}`;
        this.lastError ??= new DriverError("transient", `${what} (${e.code ?? "socket error"})`);
      });
      s.on("close", () => {
        clearTimeout(timer);
        this.lastError ??= new DriverError("transient", `link to ${host}:${port} closed; re-binding`);
        reject(this.lastError);
        this.onClose(s);
      });
      s.on(tls ? "secureConnect" : "connect", () => this.bind(s, timer, resolve));
      s.on("deliver_sm", (pdu: any) => this.onDeliverSm(s, pdu));
      s.on("enquire_link", (pdu: any) => s.send(pdu.response()));
      s.on("unbind", (pdu: any) => (s.send(pdu.response()), s.close()));
    });
    bound.catch(() => {}); // a background re-bind has no awaiter; failures are logged and retried
    return bound;
  }

  private bind(s: any, timer: ReturnType<typeof setTimeout>, resolve: () => void): void {
    const { systemId, password, systemType } = this.endpoint;
    s.bind_transceiver({ system_id: systemId, password, system_type: systemType ?? "" }, (pdu: any) => {
      clearTimeout(timer);
      if (pdu.command_status === 0) {
        this.state = "bound";
        this.attempt = 0;
        this.lastError = undefined;
        this.startKeepalive(s);
        this.link.bound();
        return resolve();
      }
      // Refused credentials are retried too (at the capped backoff): the SMSC side may be fixed rather than the account.
      this.lastError = classifyBindStatus(pdu.command_status);
      s.destroy();
    });
  }

  /** Closes the socket for a reason the link status shows (a timeout), unless one is already known. */
  private drop(s: any, reason: string): void {
    this.lastError ??= new DriverError("transient", reason);
    s.destroy();
  }

  private onClose(s: any): void {
    if (this.session !== s) return;
    clearInterval(this.keepalive);
    this.session = undefined;
    for (const fail of [...this.pending]) fail(new DriverError("unknown_outcome", "SMPP link closed before submit_sm_resp"));
    if (this.state === "closed") return;
    const wasBound = this.state === "bound";
    this.state = "backoff";
    const delay = Math.min(this.tuning.backoffMaxMs, this.tuning.backoffMinMs * 2 ** this.attempt++);
    this.link.down(this.lastError?.message ?? "link closed", !wasBound, delay);
    this.retryTimer = setTimeout(() => {
      if (this.state === "backoff") this.binding = this.open();
    }, delay);
    this.retryTimer.unref?.();
  }

  private startKeepalive(s: any): void {
    this.keepalive = setInterval(() => {
      const dead = setTimeout(() => this.drop(s, "no enquire_link_resp in time"), this.tuning.responseTimeoutMs);
      if (!s.enquire_link(() => clearTimeout(dead))) clearTimeout(dead);
    }, this.tuning.enquireLinkMs);
    this.keepalive.unref?.();
  }

  /** Acknowledges a deliver_sm only after it is durably ingested; a failed ingest asks the SMSC to retry. */
  private onDeliverSm(s: any, pdu: any): void {
    let rec: DeliverSmRecord;
    try {
      rec = toDeliverSmRecord(pdu, randomUUID(), this.deps.clock.now());
    } catch (e) {
      this.deps.log.error("smpp deliver_sm unreadable", { error: String(e) });
      s.send(pdu.response({ command_status: ESME.ESME_RX_P_APPN }));
      return;
    }
    this.deps.onDeliverSm(rec).then(
      () => s.send(pdu.response()),
      (e) => {
        this.deps.log.error("smpp deliver_sm not stored; SMSC will retry", { error: String(e) });
        s.send(pdu.response({ command_status: ESME.ESME_RX_T_APPN }));
      },
    );
  }

  private submitNow(params: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    const s = this.session;
    if (this.state !== "bound" || !s) throw new DriverError("transient", "SMPP session not bound");
    const pdu = new smpp.PDU("submit_sm", params);
    return new Promise<string>((resolve, reject) => {
      const settle = (err?: DriverError, id?: string) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.pending.delete(settle);
        if (pdu.sequence_number) delete s._callbacks[pdu.sequence_number];
        err ? reject(err) : resolve(id!);
      };
      const onAbort = () => settle(new DriverError("unknown_outcome", "send aborted after submit_sm was written"));
      const timer = setTimeout(() => settle(new DriverError("unknown_outcome", "no submit_sm_resp in time")), this.tuning.responseTimeoutMs);
      if (!s.send(pdu, (resp: any) => this.onSubmitResp(s, resp, settle))) {
        return settle(new DriverError("transient", "SMPP socket not writable"));
      }
      this.pending.add(settle);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private onSubmitResp(s: any, resp: any, settle: (err?: DriverError, id?: string) => void): void {
    if (resp.command_status === 0) return settle(undefined, String(resp.message_id));
    if (resp.command_status === ESME.ESME_RINVBNDSTS) this.drop(s, "the SMSC no longer knows our bind"); // re-bind
    settle(classifySubmitStatus(resp.command_status));
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (this.inFlight < this.tuning.window) {
      this.inFlight++;
      return Promise.resolve();
    }
    const slot = new Promise<void>((grant) => this.waiters.push({ grant, signal }));
    return abortable(slot, signal, () => new DriverError("transient", "send aborted while waiting for the SMPP window"));
  }

  private release(): void {
    // The slot passes straight to the next waiter that still wants it.
    for (let next = this.waiters.shift(); next; next = this.waiters.shift()) {
      if (!next.signal.aborted) return next.grant();
    }
    this.inFlight--;
  }
}

/** Races a promise against an AbortSignal. */
function abortable<T>(p: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
