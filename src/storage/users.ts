import type { Storage } from "./db.ts";
import { removeUserSessionsSync } from "./sessions.ts";

/** Records of companies, users and API tokens (sessions: sessions.ts). Layouts in keys.ts. */
export interface Company {
  v: 1;
  id: string;
  name: string;
  createdAt: number;
}

export interface User {
  v: 1;
  id: string;
  companyId: string;
  email: string;
  passwordHash: string;
  role: "owner" | "member";
  createdAt: number;
  /** Set by each successful login (absent: never logged in). */
  lastLoginAt?: number;
}

export interface ApiToken {
  v: 1;
  id: string;
  companyId: string;
  userId: string;
  name: string;
  createdAt: number;
  lastUsedAt?: number;
}

export const getCompany = (s: Storage, id: string): Company | undefined => s.db("companies").get(id);
export const getCompanyIdByName = (s: Storage, name: string): string | undefined => s.db("companyNames").get(name.trim().toLowerCase());
export const getUser = (s: Storage, id: string): User | undefined => s.db("users").get(id);

/** The user with this e-mail (case-insensitive), if any. */
export function getUserByEmail(s: Storage, email: string): User | undefined {
  const id = s.db("userEmails").get(email.trim().toLowerCase());
  return id ? getUser(s, id) : undefined;
}

/** The user with this id if it belongs to this company (another company's user is "not found"). */
export function getCompanyUser(s: Storage, companyId: string, id: string): User | undefined {
  const u = getUser(s, id);
  return u?.companyId === companyId ? u : undefined;
}

/** Stores a new user with its e-mail and company entries. Inside a write transaction; the caller checks the e-mail is free. */
export function insertUserSync(s: Storage, user: User): void {
  s.db("users").putSync(user.id, user);
  s.db("userEmails").putSync(user.email, user.id);
  s.db("companyUsers").putSync([user.companyId, user.id], true);
}

/** Rewrites a user record (role, password hash, last login); the e-mail never changes. Inside a write transaction. */
export const putUserSync = (s: Storage, user: User): void => void s.db("users").putSync(user.id, user);

/** Removes a user with its e-mail and company entries, its API tokens and its sessions. Inside a write transaction. */
export function removeUserSync(s: Storage, user: User): void {
  s.db("users").removeSync(user.id);
  s.db("userEmails").removeSync(user.email);
  s.db("companyUsers").removeSync([user.companyId, user.id]);
  for (const t of listCompanyTokens(s, user.companyId).filter((x) => x.userId === user.id)) {
    s.db("tokens").removeSync(s.db("companyTokens").get([user.companyId, t.id]));
    s.db("companyTokens").removeSync([user.companyId, t.id]);
  }
  removeUserSessionsSync(s, user.id);
}

/** How many owners a company has. */
export const countOwners = (s: Storage, companyId: string): number => listCompanyUsers(s, companyId).filter((u) => u.role === "owner").length;

/** Users of one company, oldest first. */
export function listCompanyUsers(s: Storage, companyId: string): User[] {
  const out: User[] = [];
  for (const { key } of s.db("companyUsers").getRange({ start: [companyId], end: [companyId, "\uffff"] })) {
    const u = getUser(s, (key as string[])[1]!);
    if (u) out.push(u);
  }
  return out;
}

/** API tokens of one company (never the secret, which is not stored). */
export function listCompanyTokens(s: Storage, companyId: string): ApiToken[] {
  const out: ApiToken[] = [];
  for (const { value } of s.db("companyTokens").getRange({ start: [companyId], end: [companyId, "\uffff"] })) {
    const t = s.db("tokens").get(value as string);
    if (t) out.push(t);
  }
  return out;
}

/** True when at least one user exists (the UI shows a first-run hint otherwise). */
export function hasAnyUser(s: Storage): boolean {
  for (const _ of s.db("users").getKeys({ limit: 1 })) return true;
  return false;
}
