import type { Deps } from "../deps.ts";
import { effectiveMps, quotaPerMinute } from "../domain/quota.ts";
import { webhookUrlOf } from "../services/account-config.ts";
import { accountLinkStatus } from "../services/account-links.ts";
import { listNumbers, type Account, type PhoneNumber } from "../storage/accounts.ts";

/** A sender number as the API shows it: `mps` is the rate in use (its own, else its type's default). */
export function numberView(n: PhoneNumber) {
  return { number: n.number, type: n.type, mps: effectiveMps(n), mpsDefault: n.mps === undefined, createdAt: new Date(n.createdAt).toISOString() };
}

/**
 * An account as the API shows it. Secrets are never returned: `config` holds only the driver's non-secret
 * fields, and `secretsSet` names the secret fields that have a stored value (write-only; send a new value to
 * change one, leave it out or empty to keep it). `quotaPerMinute` is the formula's result from the numbers and
 * cap (see domain/quota.ts); a paused account still shows it, but the tick gives it 0. `link` is there only for
 * drivers that keep a standing link (SMPP): `{state: "bound"|"connecting"|"down", since, lastError?, attempts?}`.
 */
export function accountView(deps: Pick<Deps, "config" | "storage" | "drivers">, a: Account) {
  const numbers = listNumbers(deps.storage, a.companyId, a.id);
  const link = accountLinkStatus(deps, a);
  return {
    id: a.id,
    name: a.name,
    driver: a.driver,
    config: a.config,
    secretsSet: Object.keys(a.secrets).sort(),
    perMinuteCap: a.perMinuteCap ?? null,
    paused: a.paused,
    quotaPerMinute: quotaPerMinute(numbers, a.perMinuteCap),
    numbers: numbers.map(numberView),
    webhookUrl: webhookUrlOf(deps, a),
    createdAt: new Date(a.createdAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
    ...(link ? { link: { ...link, since: new Date(link.since).toISOString() } } : {}),
  };
}
