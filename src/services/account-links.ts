/**
 * Standing links to providers (an SMPP bind, for instance): opened for every account when the process starts
 * its background work, re-opened when an account is created or changed, closed when it is deleted, so receipts
 * and replies arrive whether or not the account has sent anything since start-up. Only drivers that implement
 * `connect` keep links; for the others these are no-ops. Opening a link never fails the caller: the driver
 * binds in the background, logs failures and retries with backoff. Every function here is safe to re-run.
 * The state of each link (bound, connecting, down and why) is read here for the account view and /metrics.
 */
import type { Deps } from "../deps.ts";
import type { LinkStatus } from "../drivers/driver.ts";
import { getAccountById, listAccountIds, type Account } from "../storage/accounts.ts";
import { toDriverAccount } from "./account-config.ts";

type LinkDeps = Pick<Deps, "storage" | "config" | "drivers" | "log">;

/** Opens (or, after a config change, re-opens) the account's standing link, when its driver keeps one. */
export function linkAccount(deps: LinkDeps, account: Account): void {
  const driver = deps.drivers.get(account.driver);
  if (!driver?.connect) return;
  try {
    driver.connect(toDriverAccount(deps, account));
  } catch (e) {
    // e.g. a secret sealed under another POMBO_SECRET_KEY: the account stays unlinked, the rest start.
    deps.log.error("account link not opened", { accountId: account.id, driver: account.driver, error: String(e) });
  }
}

/** Closes the account's standing link, if its driver keeps one; failures are logged, never thrown. */
export async function unlinkAccount(deps: LinkDeps, account: Pick<Account, "id" | "driver">): Promise<void> {
  try {
    await deps.drivers.get(account.driver)?.disconnect?.(account.id);
  } catch (e) {
    deps.log.error("account link not closed", { accountId: account.id, driver: account.driver, error: String(e) });
  }
}

/** Opens the standing link of every account of every company whose driver keeps one; returns how many. */
export function linkAllAccounts(deps: LinkDeps): number {
  let linked = 0;
  for (const id of listAccountIds(deps.storage)) {
    const account = getAccountById(deps.storage, id);
    if (!account || !deps.drivers.get(account.driver)?.connect) continue;
    linkAccount(deps, account);
    linked++;
  }
  if (linked) deps.log.info("provider links opening", { accounts: linked });
  return linked;
}

/**
 * The state of the account's standing link, or undefined when its driver keeps none. An account whose driver
 * keeps links but has none open for it (its secrets could not be read, or the process has not started its
 * background work) shows as down.
 */
export function accountLinkStatus(deps: Pick<Deps, "drivers">, account: Pick<Account, "id" | "driver" | "updatedAt">): LinkStatus | undefined {
  const driver = deps.drivers.get(account.driver);
  if (!driver?.linkStatus) return undefined;
  return driver.linkStatus(account.id) ?? { state: "down", since: account.updatedAt, lastError: "no link open" };
}

/** Every account of every company whose driver keeps links, with its link's state (for /metrics). */
export function listAccountLinks(deps: Pick<Deps, "drivers" | "storage">): Array<{ account: Account; link: LinkStatus }> {
  const out: Array<{ account: Account; link: LinkStatus }> = [];
  for (const id of listAccountIds(deps.storage)) {
    const account = getAccountById(deps.storage, id);
    const link = account && accountLinkStatus(deps, account);
    if (account && link) out.push({ account, link });
  }
  return out;
}
