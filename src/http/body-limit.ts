import { DomainError } from "../domain/errors.ts";

/**
 * Refuses a JSON body over `maxBytes` before anything reads it: by its Content-Length, and a chunked JSON
 * body (no length to check) is refused outright — API clients send a length. Uploads (CSV, multipart) and
 * provider webhooks have their own limits.
 * @throws DomainError too_large (413) or bad_request (411-style) for chunked JSON.
 */
export function limitJsonBody(request: Request, maxBytes: number): void {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) return;
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) {
    throw new DomainError("too_large", "body_too_large", `request bodies are limited to ${maxBytes} bytes`);
  }
  if (/chunked/i.test(request.headers.get("transfer-encoding") ?? "")) {
    throw new DomainError("bad_request", "length_required", "send JSON bodies with a Content-Length");
  }
}
