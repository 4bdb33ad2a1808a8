import type { AuthContext, Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { getAccount } from "../storage/accounts.ts";
import { ingestWebhook } from "./webhooks-in.ts";

/**
 * Simulates a reply arriving for an account whose driver can simulate (the sandbox): the message travels the
 * same durable webhook path as a real provider's.
 * @throws DomainError not_found (no such account for the company), conflict (the driver cannot simulate).
 */
export async function simulateInbound(deps: Deps, auth: AuthContext, input: { accountId: string; from: string; to: string; body: string }): Promise<void> {
  const account = getAccount(deps.storage, auth.company.id, input.accountId);
  if (!account) throw notFound("account");
  const driver = deps.drivers.get(account.driver);
  if (!driver?.simulateInbound) throw new DomainError("conflict", "not_sandbox", "only sandbox accounts can simulate replies");
  const req = driver.simulateInbound(account.id, { from: input.from, to: input.to, body: input.body, at: deps.clock.now() });
  await ingestWebhook(deps, account.driver, account.id, req);
}
