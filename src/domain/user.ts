import { DomainError } from "./errors.ts";

/** What a user may do in their company: owners manage the team, members use everything else. */
export type Role = "owner" | "member";

/** The shortest and longest passwords accepted (the login route reads at most 1,024 characters). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * An e-mail address as stored and looked up: trimmed, lower-cased.
 * @throws DomainError invalid_email when it does not look like an address.
 */
export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) throw new DomainError("invalid", "invalid_email", `"${input}" is not an e-mail address`);
  return email;
}

/**
 * The password policy, the same for the CLI, the team API and a user's own change.
 * @throws DomainError weak_password when it is too short or too long.
 */
export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN) throw new DomainError("invalid", "weak_password", `password must be at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw new DomainError("invalid", "weak_password", `password must be at most ${PASSWORD_MAX} characters`);
}

/** Refuses a change the caller's role does not allow. @throws DomainError forbidden for members. */
export function requireOwner(role: Role, action: string): void {
  if (role !== "owner") throw new DomainError("forbidden", "forbidden", `only owners can ${action}`);
}
