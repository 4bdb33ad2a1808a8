import type { Deps } from "../deps.ts";
import { acceptWebhook } from "../services/webhooks-in.ts";
import { mapError } from "./errors.ts";
import { DomainError } from "../domain/errors.ts";
import type { LatencyHistogram } from "../services/latency.ts";

const PREFIX = "/webhooks/";

/**
 * Provider webhooks are the hottest path (a campaign's delivery reports arrive at its sending rate), so they
 * skip Elysia altogether: read the raw body once (signatures cover it byte for byte), verify, store durably,
 * answer. Times each request into `latency` for /metrics.
 *
 * Two entries to the same handler: `nativeWebhookRoutes` is given to Bun.serve's own router (through
 * Elysia's `serve.routes`), so a listening server dispatches webhooks natively; `webhookFastPath` answers
 * them from `onRequest` for `app.handle` callers (tests, the CLI). (The Elysia routes in webhooks.ts stay for
 * the OpenAPI document.)
 */
export function webhookFastPath(deps: Deps, latency: LatencyHistogram) {
  const timed = timedHandler(deps, latency);
  return (request: Request, path: string): Promise<Response> | undefined => {
    if (!path.startsWith(PREFIX) || (request.method !== "POST" && request.method !== "GET")) return undefined;
    const [driver = "", accountId = "", extra] = path.slice(PREFIX.length).split("/");
    if (!driver || !accountId || extra !== undefined) return undefined;
    return timed(request, path, decodeURIComponent(driver), decodeURIComponent(accountId));
  };
}

type NativeRequest = Request & { params: Record<string, string> };

/** Bun.serve `routes` entries for `/webhooks/:driver/:accountId` (Bun decodes the params). */
export function nativeWebhookRoutes(deps: Deps, latency: LatencyHistogram) {
  const timed = timedHandler(deps, latency);
  const handle = (request: NativeRequest) => timed(request, pathOf(request.url), request.params.driver ?? "", request.params.accountId ?? "");
  return { [`${PREFIX}:driver/:accountId`]: { POST: handle, GET: handle } };
}

function timedHandler(deps: Deps, latency: LatencyHistogram) {
  // One labels object per (driver, outcome), made once: the histogram finds its series by the object.
  const labels = new Map<string, { ok: Record<string, string>; error: Record<string, string> }>();
  for (const name of [...deps.drivers.list().map((d) => d.name), "other"]) labels.set(name, { ok: { driver: name, outcome: "ok" }, error: { driver: name, outcome: "error" } });
  return (request: Request, path: string, driver: string, accountId: string): Promise<Response> => {
    const t0 = performance.now();
    return handleWebhook(deps, request, path, driver, accountId).then((res) => {
      const of = labels.get(driver) ?? labels.get("other")!;
      latency.observe(res.status < 400 ? of.ok : of.error, (performance.now() - t0) / 1000);
      return res;
    });
  };
}

/** The path of an absolute request URL, without its query string. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const q = url.indexOf("?", start);
  return q === -1 ? url.slice(start) : url.slice(start, q);
}

/** Provider webhooks are small (a report or a message); anything bigger is refused before it is read whole. */
export const WEBHOOK_MAX_BYTES = 1024 * 1024;

/** The body as text, refused (413) over WEBHOOK_MAX_BYTES: by its Content-Length, or while reading a chunked one. */
async function readWebhookBody(request: Request): Promise<string> {
  const tooLarge = () => new DomainError("too_large", "body_too_large", `webhook bodies are limited to ${WEBHOOK_MAX_BYTES} bytes`);
  const length = request.headers.get("content-length");
  if (length !== null) {
    if (Number(length) > WEBHOOK_MAX_BYTES) throw tooLarge();
    return request.text();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body ?? []) {
    total += chunk.byteLength;
    if (total > WEBHOOK_MAX_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Verifies, stores and answers one provider webhook; every failure becomes the error shape (403 on a bad signature). */
export async function handleWebhook(deps: Deps, request: Request, path: string, driver: string, accountId: string): Promise<Response> {
  try {
    const q = request.url.indexOf("?");
    const publicUrl = deps.config.baseUrl + path + (q >= 0 ? request.url.slice(q) : "");
    // Bun's native copy (lower-case names, as `forEach` gives them); several times cheaper than a JS callback each.
    const headers = (request.headers as Headers & { toJSON(): Record<string, string> }).toJSON();
    const body = request.method === "GET" ? "" : await readWebhookBody(request);
    return await acceptWebhook(deps, driver, accountId, { url: publicUrl, method: request.method, headers, body });
  } catch (e) {
    return mapError("", e, deps.log, path);
  }
}
