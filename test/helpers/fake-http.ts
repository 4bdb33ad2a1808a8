/**
 * Plumbing shared by the fake HTTP providers (fake-twilio.ts, fake-plivo.ts, and any later one): a Bun server on
 * 127.0.0.1:0 that records every request and can be told to misbehave on the next call(s).
 */
import type { WebhookRequest } from "../../src/drivers/driver.ts";

/** One request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
}

/**
 * A way to misbehave. `accept: true` means the fake first does the work (stores and counts the message) and
 * then misbehaves — the case where the provider sent the SMS but the caller never learned it.
 */
export type Fault =
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "hang"; accept?: boolean }
  | { kind: "garbage"; accept?: boolean }
  | { kind: "close"; accept?: boolean };

/** Which requests a queued fault applies to. */
export type FaultTarget = "send" | "lookup" | "any";

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Queues `fault` for the next `times` requests of `on` (default: sends). */
  fault(fault: Fault, times?: number, on?: FaultTarget): void;
  /** Removes every queued fault. */
  clearFaults(): void;
  /** POSTs a webhook built by the fake to its URL (e.g. a running Pombo), exactly as the provider would. */
  deliver(req: WebhookRequest): Promise<Response>;
  stop(): Promise<void>;
}

/** What a fake's router returns: a response, plus whether the request was a send and whether it succeeded. */
export type Route = (req: RecordedRequest) => { target: Exclude<FaultTarget, "any">; run: () => Response };

/** Starts a recording server; `route` decides what each request is and how the provider would answer it. */
export function startFakeServer(route: Route): FakeServer {
  const requests: RecordedRequest[] = [];
  let faults: Array<{ fault: Fault; on: FaultTarget }> = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    development: false, // a deliberately broken response stream must not print a stack trace
    async fetch(request) {
      const u = new URL(request.url);
      const rec: RecordedRequest = {
        method: request.method,
        path: u.pathname,
        query: u.searchParams,
        headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
        body: await request.text(),
      };
      requests.push(rec);
      const { target, run } = route(rec);
      const i = faults.findIndex((f) => f.on === "any" || f.on === target);
      if (i === -1) return run();
      const [{ fault }] = faults.splice(i, 1) as [{ fault: Fault; on: FaultTarget }];
      return misbehave(fault, run, request.signal);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    fault(fault, times = 1, on = "send") {
      for (let n = 0; n < times; n++) faults.push({ fault, on });
    },
    clearFaults() {
      faults = [];
    },
    deliver: (req) => fetch(req.url, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : req.body }),
    stop: () => server.stop(true),
  };
}

function misbehave(fault: Fault, run: () => Response, signal: AbortSignal): Response | Promise<Response> {
  if (fault.kind === "status") return new Response(fault.body ?? "", { status: fault.status, headers: fault.headers });
  if (fault.accept) run();
  if (fault.kind === "hang") {
    return new Promise((resolve) => signal.addEventListener("abort", () => resolve(new Response(null, { status: 499 }))));
  }
  if (fault.kind === "garbage") return new Response("<html><body>502 Bad Gateway</body></html>", { status: 200, headers: { "content-type": "application/json" } });
  // close: the connection dies after the request was read, before a complete answer
  const stream = new ReadableStream({ async pull(c) { await Bun.sleep(1); c.error(new Error("connection closed by fake")); } });
  return new Response(stream, { status: 200, headers: { "content-type": "application/json" } });
}

/** Basic-auth credentials from an Authorization header, or undefined. */
export function readBasicAuth(headers: Record<string, string>): { user: string; password: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(headers.authorization ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i === -1 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
