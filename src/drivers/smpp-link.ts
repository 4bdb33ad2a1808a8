/**
 * What an SMPP session shows of its link (`LinkStatus`, see driver.ts) and what it logs about it. The log
 * follows the status, not the retries: a warning when the link goes down or the reason changes, then only
 * debug lines while the session keeps re-binding for the same reason (a wrong password retried every minute
 * for a week is one warning, not ten thousand).
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { LinkStatus } from "./driver.ts";

/** Tracks one session's link state. Starts `connecting`: a session exists only once something asked it to bind. */
export class SmppLinkTracker {
  private status: LinkStatus;
  /** Failed binds since the last successful one. */
  private failures = 0;

  constructor(
    private readonly deps: { clock: Clock; log: Logger },
    private readonly where: { host: string; port: number; systemId: string },
  ) {
    this.status = { state: "connecting", since: deps.clock.now() };
  }

  /** A copy of the current status. */
  get current(): LinkStatus {
    return { ...this.status };
  }

  /** The bind succeeded. */
  bound(): void {
    this.failures = 0;
    this.change("bound");
    this.deps.log.info("smpp bound", this.where);
  }

  /**
   * The link is down: a bind failed (`failedBind`) or a bound link dropped; the session re-binds in `delayMs`.
   * Warns only when this changes what the status shows.
   */
  down(reason: string, failedBind: boolean, delayMs: number): void {
    if (failedBind) this.failures++;
    const isNews = this.status.state !== "down" || this.status.lastError !== reason;
    this.change("down", reason);
    const fields = { host: this.where.host, port: this.where.port, reason, attempts: this.failures, delayMs };
    if (isNews) this.deps.log.warn("smpp link down, re-binding", fields);
    else this.deps.log.debug("smpp re-bind failed again", fields);
  }

  private change(state: LinkStatus["state"], lastError?: string): void {
    const since = state === this.status.state ? this.status.since : this.deps.clock.now();
    this.status = { state, since, ...(lastError ? { lastError } : {}), ...(this.failures ? { attempts: this.failures } : {}) };
  }
}
