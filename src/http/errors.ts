import { DomainError, type ErrorKind } from "../domain/errors.ts";
import type { Logger } from "../log.ts";

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  invalid: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** A JSON error response in the public shape `{error:{code,message}}`. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/** Maps anything thrown in a handler (or by Elysia itself) to the public error shape; never leaks a stack. */
export function mapError(code: string | number, error: unknown, log: Logger, path: string): Response {
  if (error instanceof DomainError) return errorResponse(STATUS[error.kind], error.code, error.message);
  switch (code) {
    case "VALIDATION":
      return errorResponse(422, "validation_failed", validationMessage(error));
    case "PARSE":
      return errorResponse(400, "malformed_body", "the request body could not be parsed (check JSON syntax and Content-Type)");
    case "NOT_FOUND":
      return errorResponse(404, "route_not_found", `no route for ${path}`);
    case "INVALID_COOKIE_SIGNATURE":
      return errorResponse(400, "bad_cookie", "invalid cookie");
  }
  const status = typeof (error as { status?: unknown })?.status === "number" ? (error as { status: number }).status : 0;
  if (status === 413) return errorResponse(413, "body_too_large", "the request body is too large");
  if (status >= 400 && status < 500) return errorResponse(status, "bad_request", String((error as Error).message ?? "bad request"));
  const requestId = crypto.randomUUID();
  log.error("unhandled error", { requestId, path, error: String((error as Error)?.stack ?? error) });
  return errorResponse(500, "internal_error", `something went wrong (request id ${requestId})`);
}

function validationMessage(error: unknown): string {
  const e = error as { all?: Array<{ path?: string; message?: string; summary?: string }>; message?: string };
  const first = Array.isArray(e.all) ? e.all[0] : undefined;
  if (first) {
    const where = first.path ? `${first.path.replace(/^\//, "").replace(/\//g, ".") || "body"}: ` : "";
    return `${where}${first.summary ?? first.message ?? "invalid value"}`;
  }
  return "the request does not match the expected shape";
}
