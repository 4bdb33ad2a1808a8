import type { Storage } from "./db.ts";

/**
 * Login sessions, keyed by the hash of the cookie's token, and the per-user index that lets a password change
 * or a user's removal end every session of that user in the same transaction. Layouts in keys.ts.
 */
export interface Session {
  v: 1;
  userId: string;
  companyId: string;
  expiresAt: number;
}

export const getSession = (s: Storage, hash: string): Session | undefined => s.db("sessions").get(hash);

/** Stores a session and its index entry. Call inside a write transaction. */
export function putSessionSync(s: Storage, hash: string, session: Session): void {
  s.db("sessions").putSync(hash, session);
  s.db("userSessions").putSync([session.userId, hash], session.expiresAt);
}

/** Removes one session and its index entry; an unknown hash is ignored (safe to repeat). Inside a write transaction. */
export function removeSessionSync(s: Storage, hash: string): void {
  const session = getSession(s, hash);
  s.db("sessions").removeSync(hash);
  if (session) s.db("userSessions").removeSync([session.userId, hash]);
}

/**
 * Ends sessions of one user: all of them but `keep` (a session token hash), or with `expiredAt` only those that
 * expired by then. Inside a write transaction. Returns how many were removed.
 */
export function removeUserSessionsSync(s: Storage, userId: string, opts: { keep?: string; expiredAt?: number } = {}): number {
  const doomed: string[] = [];
  for (const { key, value } of s.db("userSessions").getRange({ start: [userId], end: [userId, "\uffff"] })) {
    const hash = (key as [string, string])[1];
    if (hash === opts.keep || (opts.expiredAt !== undefined && (value as number) > opts.expiredAt)) continue;
    doomed.push(hash);
  }
  for (const hash of doomed) {
    s.db("sessions").removeSync(hash);
    s.db("userSessions").removeSync([userId, hash]);
  }
  return doomed.length;
}

/** How many sessions a user has open (expired ones included until pruned). */
export function countUserSessions(s: Storage, userId: string): number {
  let n = 0;
  for (const _ of s.db("userSessions").getKeys({ start: [userId], end: [userId, "\uffff"] })) n++;
  return n;
}

/** Migration 3: indexes the sessions stored before `userSessions` existed. Safe to re-run. */
export function rebuildUserSessionsSync(s: Storage): void {
  for (const { key, value } of s.db("sessions").getRange()) {
    const session = value as Session;
    s.db("userSessions").putSync([session.userId, key as string], session.expiresAt);
  }
}
