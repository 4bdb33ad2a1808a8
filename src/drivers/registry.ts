/**
 * The list of drivers the process knows. Adding a provider = one import and one entry in `FACTORIES`.
 * Services and routes reach drivers only through this registry, by name.
 */
import type { DriverField, DriverHost, SmsDriver } from "./driver.ts";
import { createSandboxDriver } from "./sandbox.ts";
import { createTwilioDriver } from "./twilio.ts";
import { createPlivoDriver } from "./plivo.ts";
import { createVonageDriver } from "./vonage.ts";
import { createTelnyxDriver } from "./telnyx.ts";
import { createSmppDriver } from "./smpp.ts";

/** Builds one driver for the process. */
export type DriverFactory = (host: DriverHost) => SmsDriver;

/** One line per driver; the order is the order the UI lists them in (sandbox first: it is the safe default). */
const FACTORIES: DriverFactory[] = [
  createSandboxDriver,
  createTwilioDriver,
  createPlivoDriver,
  createVonageDriver,
  createTelnyxDriver,
  createSmppDriver,
];

/** What `GET /api/v1/drivers` returns for one driver. */
export interface DriverDescription {
  name: string;
  label: string;
  fields: DriverField[];
}

export interface DriverRegistry {
  /** The driver registered under `name`, or undefined. */
  get(name: string): SmsDriver | undefined;
  /** Every driver's name, label and config fields, for the UI and the API. */
  list(): DriverDescription[];
  /** Closes every driver (SMPP sessions, sandbox timers); safe to call twice. */
  close(): Promise<void>;
}

/**
 * Instantiates every known driver against `host`.
 * @throws Error when two drivers claim the same name (a programming error, caught at boot).
 */
export function createDriverRegistry(host: DriverHost, factories: DriverFactory[] = FACTORIES): DriverRegistry {
  const drivers = new Map<string, SmsDriver>();
  for (const make of factories) {
    const d = make(host);
    if (drivers.has(d.name)) throw new Error(`two drivers are named ${d.name}`);
    drivers.set(d.name, d);
  }
  let closing: Promise<void> | undefined;
  return {
    get: (name) => drivers.get(name),
    list: () => [...drivers.values()].map((d) => ({ name: d.name, label: d.label, fields: d.fields.map((f) => ({ ...f })) })),
    close: () =>
      (closing ??= Promise.allSettled([...drivers.values()].map((d) => d.close?.())).then((results) => {
        for (const r of results) if (r.status === "rejected") host.log.error("driver close failed", { error: String(r.reason) });
      })),
  };
}
