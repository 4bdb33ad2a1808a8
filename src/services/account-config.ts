/**
 * Turning an account's config as the API receives it into what we store (secret fields sealed, the rest in
 * clear) and back into what a driver needs (everything in clear, plus the webhook URL).
 */
import type { Deps } from "../deps.ts";
import { DomainError } from "../domain/errors.ts";
import type { DriverAccount, SmsDriver } from "../drivers/driver.ts";
import type { Account } from "../storage/accounts.ts";
import { secretBoxFor } from "../storage/secrets.ts";

type ConfigDeps = Pick<Deps, "config">;

/** The stored halves of a config: non-secret fields in clear, secret fields sealed. */
export interface StoredConfig {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

const aad = (accountId: string, field: string) => `account:${accountId}:${field}`;

/**
 * Applies `input` on top of `current` for `driver`: a secret field left out, null or "" keeps its stored value;
 * a non-secret field set to null or "" is removed. The merged config must pass the driver's own check.
 * @throws DomainError invalid (unknown field, or the driver rejects the config). Never echoes a secret.
 */
export function mergeConfig(
  deps: ConfigDeps,
  driver: SmsDriver,
  accountId: string,
  current: StoredConfig,
  input: Record<string, unknown>,
): StoredConfig {
  const fields = new Map(driver.fields.map((f) => [f.name, f]));
  const unknown = Object.keys(input).find((k) => !fields.has(k));
  if (unknown) throw new DomainError("invalid", "unknown_config_field", `driver ${driver.name} has no config field "${unknown}"`);
  const box = secretBoxFor(deps.config);
  const next: StoredConfig = { config: { ...current.config }, secrets: { ...current.secrets } };
  for (const [name, value] of Object.entries(input)) {
    const empty = value === null || value === undefined || value === "";
    if (fields.get(name)!.secret) {
      if (!empty) next.secrets[name] = box.seal(JSON.stringify(value), aad(accountId, name));
    } else if (empty) delete next.config[name];
    else next.config[name] = value;
  }
  const problem = driver.validateConfig(openConfig(deps, accountId, next));
  if (problem) throw new DomainError("invalid", "invalid_config", `${driver.name} config: ${problem}`);
  return next;
}

/**
 * Decrypted secret fields per account, keyed by the sealed values themselves: every seal uses a fresh IV, so any
 * change of a secret changes the key and the stale entry is simply replaced. Saves an AES-GCM open per send.
 */
const opened = new Map<string, { sealed: string; values: Record<string, unknown> }>();

/** The full config in clear. Only for handing to a driver: never return or log it. */
export function openConfig(deps: ConfigDeps, accountId: string, stored: StoredConfig): Record<string, unknown> {
  const sealed = Object.entries(stored.secrets).map(([k, v]) => `${k}=${v}`).join("&");
  let hit = opened.get(accountId);
  if (!hit || hit.sealed !== sealed) {
    const box = secretBoxFor(deps.config);
    const values: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(stored.secrets)) values[name] = JSON.parse(box.open(value, aad(accountId, name)));
    hit = { sealed, values };
    if (opened.size > 10_000) opened.clear();
    opened.set(accountId, hit);
  }
  return { ...stored.config, ...hit.values };
}

/** Where the provider posts this account's delivery reports and inbound messages: BASE_URL/webhooks/:driver/:accountId. */
export function webhookUrlOf(deps: ConfigDeps, account: Pick<Account, "id" | "driver">): string {
  return `${deps.config.baseUrl}/webhooks/${encodeURIComponent(account.driver)}/${encodeURIComponent(account.id)}`;
}

/**
 * Driver views per stored account record (records are immutable: a change stores a new object), so the hot
 * paths — a webhook per delivery report, a send per message — build one once, not per call.
 */
const driverViews = new WeakMap<Account, { baseUrl: string; view: DriverAccount }>();

/** What a driver needs to work for `account`: its id, its decrypted config and its webhook URL. */
export function toDriverAccount(deps: ConfigDeps, account: Account): DriverAccount {
  const hit = driverViews.get(account);
  if (hit && hit.baseUrl === deps.config.baseUrl) return hit.view;
  const view = { id: account.id, config: openConfig(deps, account.id, account), webhookUrl: webhookUrlOf(deps, account) };
  driverViews.set(account, { baseUrl: deps.config.baseUrl, view });
  return view;
}
