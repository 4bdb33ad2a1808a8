/** What went wrong, in terms the HTTP layer maps to a status code. */
export type ErrorKind =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "invalid"
  | "too_large"
  | "rate_limited"
  | "unavailable";

/** An expected failure of a use case: carries a kind, a searchable snake_case code and a message for people. */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** Shorthand for the most common failure: a record that does not exist (or belongs to another company). */
export function notFound(what: string): DomainError {
  return new DomainError("not_found", `${what}_not_found`, `${what.replace(/_/g, " ")} not found`);
}
