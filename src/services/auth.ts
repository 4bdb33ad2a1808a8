import type { AuthContext, Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { checkPassword, normalizeEmail } from "../domain/user.ts";
import { hashSecret, newId, newSecret } from "../storage/ids.ts";
import { getSession, putSessionSync, removeSessionSync, removeUserSessionsSync, type Session } from "../storage/sessions.ts";
import {
  getCompany, getCompanyIdByName, getUser, getUserByEmail, insertUserSync, putUserSync,
  type ApiToken, type Company, type User,
} from "../storage/users.ts";

type AuthDeps = Pick<Deps, "storage" | "clock" | "config">;

/** An argon2id hash of a password that passes the policy. @throws DomainError weak_password. */
export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

/** True when `password` matches the stored hash (false, never a throw, for a malformed hash). */
export const verifyPassword = (password: string, hash: string): Promise<boolean> => Bun.password.verify(password, hash).catch(() => false);

/**
 * Creates the company if it does not exist yet and a user in it (owner by default).
 * @throws DomainError invalid (bad e-mail, short password) or conflict (e-mail taken).
 */
export async function createUser(
  deps: AuthDeps,
  input: { email: string; password: string; company: string; role?: User["role"] },
): Promise<{ user: User; company: Company }> {
  const email = normalizeEmail(input.email);
  checkPassword(input.password);
  const companyName = input.company.trim();
  if (!companyName) throw new DomainError("invalid", "invalid_company", "company name is required");
  const passwordHash = await hashPassword(input.password);
  const { storage: s, clock } = deps;
  return s.env.transactionSync(() => {
    if (s.db("userEmails").get(email)) throw new DomainError("conflict", "email_taken", `a user with e-mail ${email} exists`);
    let companyId = getCompanyIdByName(s, companyName);
    if (!companyId) {
      companyId = newId();
      const c: Company = { v: 1, id: companyId, name: companyName, createdAt: clock.now() };
      s.db("companies").putSync(companyId, c);
      s.db("companyNames").putSync(companyName.toLowerCase(), companyId);
    }
    const user: User = { v: 1, id: newId(), companyId, email, passwordHash, role: input.role ?? "owner", createdAt: clock.now() };
    insertUserSync(s, user);
    return { user, company: getCompany(s, companyId)! };
  });
}

/**
 * Checks e-mail and password and opens a session; records the login time and drops the user's expired sessions.
 * @throws DomainError unauthorized on any mismatch (same answer for unknown e-mail and wrong password).
 */
export async function login(deps: AuthDeps, email: string, password: string): Promise<{ token: string; auth: AuthContext }> {
  const user = getUserByEmail(deps.storage, email);
  // Verify against a dummy hash for unknown users so timing does not reveal which e-mails exist.
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) throw new DomainError("unauthorized", "invalid_credentials", "wrong e-mail or password");
  const token = newSecret("pms_");
  const now = deps.clock.now();
  const s = deps.storage;
  const opened = await s.env.transaction(() => {
    // The password was checked outside the transaction: a change or removal since then wins (no write at all).
    const cur = getUser(s, user.id);
    if (!cur || cur.passwordHash !== user.passwordHash) return false;
    removeUserSessionsSync(s, user.id, { expiredAt: now });
    const session: Session = { v: 1, userId: user.id, companyId: user.companyId, expiresAt: now + deps.config.sessionTtlMs };
    putSessionSync(s, hashSecret(token), session);
    putUserSync(s, { ...cur, lastLoginAt: now });
    return true;
  });
  if (!opened) throw new DomainError("unauthorized", "invalid_credentials", "wrong e-mail or password");
  return { token, auth: toAuth(deps, user)! };
}
const DUMMY_HASH = await Bun.password.hash("not-a-real-password", { algorithm: "argon2id" });

/** Ends a session; unknown tokens are ignored (safe to repeat). */
export async function logout(deps: AuthDeps, sessionToken: string): Promise<void> {
  await deps.storage.env.transaction(() => removeSessionSync(deps.storage, hashSecret(sessionToken)));
}

/** Resolves a session cookie value to its caller, or undefined when missing, unknown or expired. */
export function authenticateSession(deps: AuthDeps, sessionToken: string): AuthContext | undefined {
  const session = getSession(deps.storage, hashSecret(sessionToken));
  if (!session || session.expiresAt <= deps.clock.now()) return undefined;
  const user = getUser(deps.storage, session.userId);
  return user ? toAuth(deps, user) : undefined;
}

/** Resolves a bearer API token to its caller, or undefined. */
export function authenticateToken(deps: AuthDeps, token: string): AuthContext | undefined {
  const t: ApiToken | undefined = deps.storage.db("tokens").get(hashSecret(token));
  const user = t ? getUser(deps.storage, t.userId) : undefined;
  return user ? toAuth(deps, user) : undefined;
}

/** Issues an API token for the caller; the secret is returned once and only its hash is stored. */
export async function createToken(deps: AuthDeps, auth: AuthContext, name: string): Promise<{ id: string; token: string; name: string }> {
  const token = newSecret("pmb_");
  const hash = hashSecret(token);
  const rec: ApiToken = { v: 1, id: newId(), companyId: auth.company.id, userId: auth.user.id, name: name.trim() || "token", createdAt: deps.clock.now() };
  await deps.storage.env.transaction(() => {
    deps.storage.db("tokens").put(hash, rec);
    deps.storage.db("companyTokens").put([rec.companyId, rec.id], hash);
  });
  return { id: rec.id, token, name: rec.name };
}

/** Revokes one of the caller's company's tokens. @throws DomainError not_found. */
export async function revokeToken(deps: AuthDeps, auth: AuthContext, id: string): Promise<void> {
  const key = [auth.company.id, id];
  const hash: string | undefined = deps.storage.db("companyTokens").get(key);
  if (!hash) throw notFound("token");
  await deps.storage.env.transaction(() => {
    deps.storage.db("tokens").remove(hash);
    deps.storage.db("companyTokens").remove(key);
  });
}

function toAuth(deps: AuthDeps, user: User): AuthContext | undefined {
  const company = getCompany(deps.storage, user.companyId);
  if (!company) return undefined;
  return { user: { id: user.id, email: user.email, role: user.role }, company: { id: company.id, name: company.name } };
}
