/**
 * The one way HTTP drivers talk to their provider: a fetch with a timeout that turns every failure into a
 * classified `DriverError`, so each driver only maps its provider's own error codes.
 *
 * Classification (the caller's `classify` runs first on 4xx answers, and may return undefined to fall through):
 * - the caller's signal already aborted before anything was sent       → transient (nothing left the process)
 * - ECONNREFUSED / DNS failure / TLS handshake before the request      → transient
 * - timeout, abort, connection reset while waiting for or reading the answer → unknown_outcome
 *   (the provider may have accepted the message; for `idempotent` requests such as look-ups → transient)
 * - 429                                                                 → throttled, `retryAfterMs` from Retry-After
 * - 5xx                                                                 → transient
 * - 401 / 403, 3xx (a wrong baseUrl)                                    → config
 * - other 4xx                                                           → rejected
 * - 2xx whose body is not the JSON we expect ("garbage")               → unknown_outcome: a 2xx means the
 *   provider probably took the message, so re-sending blindly could send it twice. Look-ups → transient.
 * Error messages never contain the request's secrets: every message is passed through `redact`.
 */
import { DriverError, type DriverErrorKind } from "./driver.ts";
import type { Logger } from "../log.ts";

/** Default per-request timeout when the caller's signal does not fire first. */
export const DEFAULT_TIMEOUT_MS = 15_000;

export interface ProviderRequest {
  /** Driver name, for messages and logs. */
  driver: string;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Strings that must never appear in an error message or a log line (tokens, passwords). */
  secrets: string[];
  /** GET look-ups: a lost answer is merely transient, never unknown_outcome. */
  idempotent?: boolean;
  timeoutMs?: number;
  log?: Logger;
  /** Maps a provider error answer (status + parsed JSON body, or undefined) to a DriverError; undefined = default rule. */
  classify?: (status: number, body: unknown) => DriverError | undefined;
  /** Epoch ms, to turn an HTTP-date Retry-After into a delay. */
  now?: () => number;
}

export interface ProviderResponse {
  status: number;
  /** The parsed JSON body of a 2xx answer. */
  json: unknown;
}

/** Replaces every occurrence of each secret (and its URL-encoded form) with `***`. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join("***");
  }
  return out;
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `Authorization` header value for HTTP basic auth. */
export function basicAuth(user: string, password: string): string {
  return "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
}

/**
 * Performs one provider call and returns the parsed JSON of a 2xx answer.
 * @throws DriverError classified as described in this file's header.
 */
export async function requestProvider(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
  const fail = (kind: DriverErrorKind, message: string, code?: string, retryAfterMs?: number) => {
    const safe = redact(`${req.driver}: ${message}`, req.secrets);
    req.log?.warn("provider request failed", { driver: req.driver, kind, code, retryAfterMs, message: safe });
    return new DriverError(kind, safe, code, retryAfterMs);
  };
  if (signal.aborted) throw fail("transient", "aborted before the request was sent");
  const lost: DriverErrorKind = req.idempotent ? "transient" : "unknown_outcome";
  const timeout = AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let res: Response;
  let text: string;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.any([signal, timeout]),
      redirect: "manual",
    });
    text = await res.text();
  } catch (err) {
    throw fail(networkKind(err, lost), `request failed: ${describe(err)}`);
  }
  if (res.status >= 200 && res.status < 300) {
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      throw fail(lost, `HTTP ${res.status} with an unreadable body`);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status === 429) {
    const after = parseRetryAfter(res.headers.get("retry-after"), req.now?.() ?? Date.now());
    throw fail("throttled", "HTTP 429 too many requests", "429", after);
  }
  if (res.status >= 500) throw fail("transient", `HTTP ${res.status} from the provider`, String(res.status));
  if (res.status < 400) throw fail("config", `HTTP ${res.status}: unexpected redirect, check baseUrl`, String(res.status));
  const mapped = req.classify?.(res.status, body);
  if (mapped) throw fail(mapped.kind, mapped.message, mapped.code, mapped.retryAfterMs);
  if (res.status === 401 || res.status === 403) throw fail("config", `HTTP ${res.status}: credentials refused`, String(res.status));
  throw fail("rejected", `HTTP ${res.status} from the provider`, String(res.status));
}

/** Connection never made → transient; anything later (timeout, abort, reset) → the request may have landed. */
function networkKind(err: unknown, lost: DriverErrorKind): DriverErrorKind {
  const code = (err as { code?: unknown })?.code;
  const before = ["ECONNREFUSED", "ConnectionRefused", "ENOTFOUND", "EAI_AGAIN", "FailedToOpenSocket", "ERR_TLS_CERT_ALTNAME_INVALID", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "DEPTH_ZERO_SELF_SIGNED_CERT"];
  if (typeof code === "string" && before.includes(code)) return "transient";
  return lost;
}

function describe(err: unknown): string {
  const e = err as { name?: string; code?: unknown; message?: string };
  if (e?.name === "TimeoutError") return "timed out";
  if (e?.name === "AbortError") return "aborted";
  return typeof e?.code === "string" ? e.code : (e?.name ?? "network error");
}
