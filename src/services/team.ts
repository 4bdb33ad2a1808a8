/**
 * Team management: the owners of a company add users to it, change their role or password, and remove them;
 * every user changes their own password. A company always keeps at least one owner. A password change or a
 * removal ends the user's sessions in the same transaction, so they stop working at once.
 */
import type { AuthContext, Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { normalizeEmail, requireOwner, type Role } from "../domain/user.ts";
import { newId } from "../storage/ids.ts";
import { removeUserSessionsSync } from "../storage/sessions.ts";
import { countOwners, getCompanyUser, getUserByEmail, insertUserSync, putUserSync, removeUserSync, type User } from "../storage/users.ts";
import { hashPassword, verifyPassword } from "./auth.ts";

type TeamDeps = Pick<Deps, "storage" | "clock" | "log">;

const lastOwner = () => new DomainError("conflict", "last_owner", "a company needs at least one owner: make another user owner first");

/**
 * Adds a user to the caller's company (owners only).
 * @throws DomainError forbidden, invalid_email, weak_password, email_taken (any company's user).
 */
export async function addTeamUser(deps: TeamDeps, auth: AuthContext, input: { email: string; password: string; role: Role }): Promise<User> {
  requireOwner(auth.user.role, "add users");
  const email = normalizeEmail(input.email);
  const s = deps.storage;
  const taken = () => new DomainError("conflict", "email_taken", `a user with e-mail ${email} exists`);
  if (getUserByEmail(s, email)) throw taken();
  const passwordHash = await hashPassword(input.password);
  const user: User = { v: 1, id: newId(), companyId: auth.company.id, email, passwordHash, role: input.role, createdAt: deps.clock.now() };
  s.env.transactionSync(() => {
    if (getUserByEmail(s, email)) throw taken(); // checked again: another request may have taken it while we hashed
    insertUserSync(s, user);
  });
  deps.log.info("user added", { companyId: auth.company.id, userId: user.id, role: user.role, by: auth.user.id });
  return user;
}

/**
 * Changes a user's role and/or password (owners only). A new password ends the user's sessions, except
 * `keepSession` (the hash of the caller's own session, when owners change their own password).
 * @throws DomainError forbidden, user_not_found (also another company's), weak_password, last_owner.
 */
export async function updateTeamUser(
  deps: TeamDeps, auth: AuthContext, id: string, change: { role?: Role; password?: string }, keepSession?: string,
): Promise<User> {
  requireOwner(auth.user.role, "change users");
  const s = deps.storage;
  if (!getCompanyUser(s, auth.company.id, id)) throw notFound("user");
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  const updated = s.env.transactionSync(() => {
    const cur = getCompanyUser(s, auth.company.id, id);
    if (!cur) throw notFound("user");
    if (cur.role === "owner" && change.role === "member" && countOwners(s, cur.companyId) <= 1) throw lastOwner();
    const next: User = { ...cur, role: change.role ?? cur.role, passwordHash: passwordHash ?? cur.passwordHash };
    putUserSync(s, next);
    if (passwordHash) removeUserSessionsSync(s, id, { keep: id === auth.user.id ? keepSession : undefined });
    return next;
  });
  deps.log.info("user changed", { companyId: auth.company.id, userId: id, role: updated.role, password: Boolean(passwordHash), by: auth.user.id });
  return updated;
}

/**
 * Removes a user of the caller's company (owners only) with its sessions and API tokens.
 * @throws DomainError forbidden, user_not_found (also another company's), last_owner.
 */
export async function removeTeamUser(deps: TeamDeps, auth: AuthContext, id: string): Promise<void> {
  requireOwner(auth.user.role, "remove users");
  const s = deps.storage;
  s.env.transactionSync(() => {
    const cur = getCompanyUser(s, auth.company.id, id);
    if (!cur) throw notFound("user");
    if (cur.role === "owner" && countOwners(s, cur.companyId) <= 1) throw lastOwner();
    removeUserSync(s, cur);
  });
  deps.log.info("user removed", { companyId: auth.company.id, userId: id, by: auth.user.id });
}

/**
 * Changes the caller's own password after checking the current one; ends the caller's other sessions
 * (every one but `keepSession`, the hash of the session making the request, if any).
 * @throws DomainError wrong_password (forbidden), weak_password, password_changed (a concurrent change won).
 */
export async function changeOwnPassword(
  deps: TeamDeps, auth: AuthContext, input: { currentPassword: string; newPassword: string }, keepSession?: string,
): Promise<void> {
  const s = deps.storage;
  const user = getCompanyUser(s, auth.company.id, auth.user.id);
  if (!user || !(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new DomainError("forbidden", "wrong_password", "the current password is wrong");
  }
  const passwordHash = await hashPassword(input.newPassword);
  s.env.transactionSync(() => {
    const cur = getCompanyUser(s, auth.company.id, auth.user.id);
    if (!cur || cur.passwordHash !== user.passwordHash) throw new DomainError("conflict", "password_changed", "the password was changed meanwhile; try again");
    putUserSync(s, { ...cur, passwordHash });
    removeUserSessionsSync(s, cur.id, { keep: keepSession });
  });
  deps.log.info("password changed", { companyId: auth.company.id, userId: auth.user.id });
}

/**
 * Sets a user's password by e-mail, for whoever holds the server (the CLI): the way back in for a company whose
 * only owner forgot theirs. Ends every session of that user; API tokens stay (they are the company's scripts).
 * @throws DomainError user_not_found, invalid_email, weak_password.
 */
export async function resetPassword(deps: TeamDeps, email: string, password: string): Promise<User> {
  const s = deps.storage;
  const known = getUserByEmail(s, normalizeEmail(email));
  if (!known) throw notFound("user");
  const passwordHash = await hashPassword(password);
  const updated = s.env.transactionSync(() => {
    const cur = getUserByEmail(s, known.email) ?? known;
    const next: User = { ...cur, passwordHash };
    putUserSync(s, next);
    removeUserSessionsSync(s, cur.id);
    return next;
  });
  deps.log.info("password reset from the command line", { companyId: updated.companyId, userId: updated.id });
  return updated;
}
