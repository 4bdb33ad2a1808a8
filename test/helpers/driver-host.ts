/** A DriverHost for driver tests: a fake clock, a logger that keeps its lines, and an ingest that records calls. */
import { FakeClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import type { DriverHost, WebhookRequest } from "../../src/drivers/driver.ts";

export interface IngestCall {
  driver: string;
  accountId: string;
  req: WebhookRequest;
}

export interface TestHost {
  host: DriverHost;
  clock: FakeClock;
  /** Every log line the drivers wrote (JSON, debug level and up). */
  logs: string[];
  ingested: IngestCall[];
  /** Resolves once `n` calls have been ingested in total (no polling, no sleeps). */
  waitForIngest(n: number): Promise<IngestCall[]>;
}

/** Builds a recording host; `ingestFails` makes ingest reject (to test that drivers survive it). */
export function createTestHost(opts: { ingestFails?: boolean } = {}): TestHost {
  const clock = new FakeClock();
  const logs: string[] = [];
  const ingested: IngestCall[] = [];
  let waiters: Array<{ n: number; resolve: (calls: IngestCall[]) => void }> = [];
  const host: DriverHost = {
    clock,
    log: createLogger("debug", (line) => void logs.push(line)),
    async ingest(driver, accountId, req) {
      if (opts.ingestFails) throw new Error("storage closed");
      ingested.push({ driver, accountId, req });
      const ready = waiters.filter((w) => ingested.length >= w.n);
      waiters = waiters.filter((w) => ingested.length < w.n);
      for (const w of ready) w.resolve([...ingested]);
    },
  };
  return {
    host, clock, logs, ingested,
    waitForIngest: (n) => (ingested.length >= n ? Promise.resolve([...ingested]) : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}
