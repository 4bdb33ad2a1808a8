/**
 * Provider accounts and their sender numbers: the only place that writes them. Reads for other parts of the
 * process (the minute tick, sending, webhooks) are `getAccount`/`getAccountById`/`listNumbers`/`listAccountIds`
 * in storage/accounts.ts plus `accountQuotaPerMinute` here and `toDriverAccount` in account-config.ts.
 */
import type { Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { isShortCode, toE164 } from "../domain/e164.ts";
import { quotaPerMinute, type NumberType } from "../domain/quota.ts";
import type { SmsDriver } from "../drivers/driver.ts";
import {
  findActiveCampaignOf, findNumberOwner, getAccount, listNumbers, putAccountSync, putNumberSync, removeAccountSync, removeNumberSync,
  type Account, type PhoneNumber,
} from "../storage/accounts.ts";
import type { Storage } from "../storage/db.ts";
import { newId } from "../storage/ids.ts";
import { mergeConfig } from "./account-config.ts";
import { linkAccount, unlinkAccount } from "./account-links.ts";

type AccountDeps = Pick<Deps, "storage" | "clock" | "config" | "drivers" | "log">;

/** The driver new accounts get when none is named: it never touches the network. */
export const DEFAULT_DRIVER = "sandbox";

export interface AccountInput {
  name: string;
  driver?: string;
  /** An object of the driver\'s fields (checked here: the HTTP schema cannot). */
  config?: unknown;
  perMinuteCap?: number;
}

export interface AccountPatch {
  name?: string;
  config?: unknown;
  /** null removes the cap. */
  perMinuteCap?: number | null;
  paused?: boolean;
}

/** This minute's quota for the account: the formula in domain/quota.ts, or 0 when the account is paused or gone. */
export function accountQuotaPerMinute(storage: Storage, companyId: string, accountId: string): number {
  const account = getAccount(storage, companyId, accountId);
  if (!account || account.paused) return 0;
  return quotaPerMinute(listNumbers(storage, companyId, accountId), account.perMinuteCap);
}

/**
 * Creates an account on a registered driver (`sandbox` when none is named), secrets sealed, and opens its
 * standing link when the driver keeps one (an SMPP bind; see account-links.ts).
 * @throws DomainError invalid (unknown driver, bad name or config).
 */
export async function createAccount(deps: AccountDeps, companyId: string, input: AccountInput): Promise<Account> {
  const config = input.config;
  requireObjectConfig(config);
  const driver = driverNamed(deps, input.driver ?? DEFAULT_DRIVER);
  const id = newId();
  const stored = mergeConfig(deps, driver, id, { config: {}, secrets: {} }, config ?? {});
  const now = deps.clock.now();
  const account: Account = {
    v: 1, id, companyId, name: cleanName(input.name), driver: driver.name, ...stored,
    perMinuteCap: input.perMinuteCap, paused: false, createdAt: now, updatedAt: now,
  };
  await deps.storage.env.transaction(() => putAccountSync(deps.storage, account));
  linkAccount(deps, account);
  return account;
}

/**
 * Changes name, config (secret fields left empty keep their value), cap or paused flag; a standing link is
 * re-opened with the new config (a paused account stays linked: it sends nothing but still hears replies).
 * @throws DomainError not_found, invalid.
 */
export async function updateAccount(deps: AccountDeps, companyId: string, id: string, patch: AccountPatch): Promise<Account> {
  const current = mustGetAccount(deps.storage, companyId, id);
  const config = patch.config;
  requireObjectConfig(config);
  const stored = config ? mergeConfig(deps, driverNamed(deps, current.driver), id, current, config) : current;
  const next: Account = {
    ...current,
    config: stored.config,
    secrets: stored.secrets,
    name: patch.name === undefined ? current.name : cleanName(patch.name),
    perMinuteCap: patch.perMinuteCap === undefined ? current.perMinuteCap : (patch.perMinuteCap ?? undefined),
    paused: patch.paused ?? current.paused,
    updatedAt: deps.clock.now(),
  };
  // Read-check-write in one transaction: a concurrent delete wins rather than being resurrected.
  deps.storage.env.transactionSync(() => {
    if (!getAccount(deps.storage, companyId, id)) throw notFound("account");
    putAccountSync(deps.storage, next);
  });
  linkAccount(deps, next);
  return next;
}

/**
 * Deletes an account with its numbers, unless a campaign that is not completed or canceled uses it, and closes
 * its standing link. The unbind finishes in the background: an unresponsive SMSC does not hold the caller.
 * @throws DomainError not_found, conflict (account_in_use).
 */
export async function deleteAccount(deps: AccountDeps, companyId: string, id: string): Promise<void> {
  const removed = deps.storage.env.transactionSync(() => {
    const account = mustGetAccount(deps.storage, companyId, id);
    const campaignId = findActiveCampaignOf(deps.storage, companyId, id);
    if (campaignId) throw new DomainError("conflict", "account_in_use", `campaign ${campaignId} uses this account; cancel it or let it complete first`);
    removeAccountSync(deps.storage, companyId, id);
    return account;
  });
  void unlinkAccount(deps, removed);
}

/**
 * Adds a sender number: E.164 (normalised), or 3–8 digits for a short code.
 * @throws DomainError not_found (account), invalid (number), conflict (the company already has this number).
 */
export async function addNumber(
  deps: AccountDeps,
  companyId: string,
  accountId: string,
  input: { number: string; type: NumberType; mps?: number },
): Promise<PhoneNumber> {
  mustGetAccount(deps.storage, companyId, accountId);
  const number = senderNumber(input.number, input.type);
  const rec: PhoneNumber = { v: 1, number, accountId, type: input.type, mps: input.mps, createdAt: deps.clock.now() };
  return deps.storage.env.transactionSync(() => {
    if (!getAccount(deps.storage, companyId, accountId)) throw notFound("account");
    const owner = findNumberOwner(deps.storage, companyId, number);
    if (owner) throw new DomainError("conflict", "number_exists", `${number} is already a number of account ${owner}`);
    putNumberSync(deps.storage, companyId, rec);
    return rec;
  });
}

/** Removes a sender number from an account. @throws DomainError not_found. */
export async function removeNumber(deps: AccountDeps, companyId: string, accountId: string, number: string): Promise<void> {
  mustGetAccount(deps.storage, companyId, accountId);
  const key = senderNumberKey(number);
  const removed = deps.storage.env.transactionSync(() => removeNumberSync(deps.storage, companyId, accountId, key));
  if (!removed) throw notFound("number");
}

/** The account, or not_found (also for another company's account). @throws DomainError not_found. */
export function mustGetAccount(storage: Storage, companyId: string, id: string): Account {
  const account = getAccount(storage, companyId, id);
  if (!account) throw notFound("account");
  return account;
}

function driverNamed(deps: AccountDeps, name: string): SmsDriver {
  const driver = deps.drivers.get(name);
  if (!driver) throw new DomainError("invalid", "unknown_driver", `no driver named "${name}"; GET /api/v1/drivers lists them`);
  return driver;
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n) throw new DomainError("invalid", "invalid_name", "name must not be empty");
  return n;
}

function senderNumber(raw: string, type: NumberType): string {
  if (type === "short_code" && isShortCode(raw)) return raw.trim();
  const e164 = toE164(raw);
  if (!e164) throw new DomainError("invalid", "invalid_number", `"${raw}" is not a valid phone number in E.164 (+ and country code)${type === "short_code" ? " nor a 3–8 digit short code" : ""}`);
  return e164;
}

/** The stored form of a number named in a URL: short codes as digits, anything else normalised to E.164 when possible. */
function senderNumberKey(raw: string): string {
  return isShortCode(raw) ? raw.trim() : (toE164(raw) ?? raw.trim());
}

/** A driver config is a JSON object of fields (Elysia's record schema lets numbers through). @throws DomainError invalid. */
function requireObjectConfig(config: unknown): asserts config is Record<string, unknown> | undefined {
  if (config !== undefined && (config === null || typeof config !== "object" || Array.isArray(config))) {
    throw new DomainError("invalid", "invalid_config", "config must be an object of the driver's fields");
  }
}
