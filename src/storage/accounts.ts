import type { NumberType } from "../domain/quota.ts";
import type { Campaign } from "./campaigns.ts";
import type { Storage } from "./db.ts";

/**
 * Provider accounts and their sender numbers. Layouts in keys.ts: `accounts` [companyId, accountId],
 * `accountIndex` accountId → companyId, `numbers` [companyId, accountId, number].
 */
export interface Account {
  v: 1;
  id: string;
  companyId: string;
  name: string;
  /** Registry name of the driver, e.g. "sandbox". */
  driver: string;
  /** The driver's non-secret config fields, in clear. */
  config: Record<string, unknown>;
  /** The driver's secret fields, each sealed by storage/secrets.ts (aad `account:<id>:<field>`). */
  secrets: Record<string, string>;
  /** Optional ceiling on the computed per-minute quota. */
  perMinuteCap?: number;
  /** A paused account sends nothing (its quota is 0). */
  paused: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A sender number of an account: E.164, or digits for a short code. */
export interface PhoneNumber {
  v: 1;
  number: string;
  accountId: string;
  type: NumberType;
  /** Messages per second for this number; the type's default when absent. */
  mps?: number;
  createdAt: number;
}

/** One account of one company, or undefined (also when it belongs to another company). */
export function getAccount(s: Storage, companyId: string, id: string): Account | undefined {
  return s.db("accounts").get([companyId, id]);
}

/** Accounts by id, read through on every webhook and send; dropped whenever an account is written. */
const byId = new WeakMap<Storage, Map<string, Account>>();

function cacheOf(s: Storage): Map<string, Account> {
  let m = byId.get(s);
  if (!m) byId.set(s, (m = new Map()));
  return m;
}

/** An account by id alone, through the global index (webhooks know only the account id). */
export function getAccountById(s: Storage, id: string): Account | undefined {
  const hit = cacheOf(s).get(id);
  if (hit) return hit;
  const companyId: string | undefined = s.db("accountIndex").get(id);
  const a = companyId ? getAccount(s, companyId, id) : undefined;
  if (a) cacheOf(s).set(id, a);
  return a;
}

/** A company's accounts, oldest first (ids are time-ordered). */
export function listAccounts(s: Storage, companyId: string): Account[] {
  return [...s.db("accounts").getRange({ start: [companyId], end: [companyId, "\uffff"] }).map(({ value }) => value as Account)];
}

/** Every account id of every company, for the minute tick. */
export function listAccountIds(s: Storage): string[] {
  return [...s.db("accountIndex").getKeys()] as string[];
}

/** An account's numbers, in number order. */
export function listNumbers(s: Storage, companyId: string, accountId: string): PhoneNumber[] {
  return [...s.db("numbers").getRange({ start: [companyId, accountId], end: [companyId, accountId, "\uffff"] }).map(({ value }) => value as PhoneNumber)];
}

/** The account (of this company) that holds `number`, if any: a scan of the company's numbers, which are few. */
export function findNumberOwner(s: Storage, companyId: string, number: string): string | undefined {
  for (const key of s.db("numbers").getKeys({ start: [companyId], end: [companyId, "\uffff"] })) {
    const [, accountId, n] = key as [string, string, string];
    if (n === number) return accountId;
  }
  return undefined;
}

/** The id of a campaign of this company that uses the account and is not finished (completed or canceled), if any. */
export function findActiveCampaignOf(s: Storage, companyId: string, accountId: string): string | undefined {
  for (const { value } of s.db("campaigns").getRange({ start: [companyId], end: [companyId, "\uffff"] })) {
    const c = value as Campaign;
    if (c.accountId === accountId && c.status !== "completed" && c.status !== "canceled") return c.id;
  }
  return undefined;
}

/** Writes an account and its index entry; call inside the caller's `transactionSync`. */
export function putAccountSync(s: Storage, a: Account): void {
  cacheOf(s).delete(a.id);
  s.db("accounts").putSync([a.companyId, a.id], a);
  s.db("accountIndex").putSync(a.id, a.companyId);
}

/** Removes an account, its index entry and all its numbers; call inside the caller's `transactionSync`. */
export function removeAccountSync(s: Storage, companyId: string, id: string): void {
  cacheOf(s).delete(id);
  for (const key of s.db("numbers").getKeys({ start: [companyId, id], end: [companyId, id, "\uffff"] })) s.db("numbers").removeSync(key);
  s.db("accounts").removeSync([companyId, id]);
  s.db("accountIndex").removeSync(id);
}

/** Writes a number; call inside the caller's `transactionSync`. */
export function putNumberSync(s: Storage, companyId: string, n: PhoneNumber): void {
  s.db("numbers").putSync([companyId, n.accountId, n.number], n);
}

/** Removes a number; returns false when it was not there. Call inside the caller's `transactionSync`. */
export function removeNumberSync(s: Storage, companyId: string, accountId: string, number: string): boolean {
  return s.db("numbers").removeSync([companyId, accountId, number]);
}
