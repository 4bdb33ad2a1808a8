import type { Storage } from "./db.ts";

/** Records of companies, users, sessions and API tokens. Layouts in keys.ts. */
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
}

export interface Session {
  v: 1;
  userId: string;
  companyId: string;
  expiresAt: number;
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
