import type { Storage } from "./db.ts";

/**
 * Per-company settings records. Layout in keys.ts: `settings` [companyId, name] → record.
 * Names in use: "compliance" (ComplianceSettings, domain/compliance-settings.ts).
 */
export type SettingName = "compliance";

/** A company's stored setting, or undefined when it was never saved. */
export function getSetting<T>(s: Storage, companyId: string, name: SettingName): T | undefined {
  return s.db("settings").get([companyId, name]);
}

/** Saves a company's setting (replacing it); call inside the caller's `transactionSync`. */
export function putSettingSync<T>(s: Storage, companyId: string, name: SettingName, value: T): void {
  s.db("settings").putSync([companyId, name], value);
}
