/** Manual suppressions from the API. (Stop words and carrier opt-outs suppress in services/inbound.ts and receipts.ts.) */
import type { Deps } from "../deps.ts";
import { toE164 } from "../domain/e164.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import { getSuppression, putSuppressionSync, removeSuppressionSync, type SuppressionEntry } from "../storage/suppressions.ts";

/** National numbers typed without + are read in this country, as imports do by default. */
const DEFAULT_COUNTRY = "US";

/**
 * Suppresses a phone for the company (reason default `manual`). Safe to repeat: an existing suppression is kept
 * as it is (its first reason and time stay) and returned with `created: false`.
 * @throws DomainError invalid (not a phone number).
 */
export async function addSuppression(
  deps: Pick<Deps, "storage" | "clock">,
  companyId: string,
  input: { phone: string; reason?: string },
): Promise<SuppressionEntry & { created: boolean }> {
  const phone = mustE164(input.phone);
  const reason = input.reason?.trim() || "manual";
  return deps.storage.env.transactionSync(() => {
    const existing = getSuppression(deps.storage, companyId, phone);
    if (existing) return { phone, reason: existing.reason, at: existing.at, created: false };
    const at = deps.clock.now();
    putSuppressionSync(deps.storage, companyId, phone, { reason, at });
    return { phone, reason, at, created: true };
  });
}

/** Lifts a suppression. @throws DomainError invalid (not a phone number), not_found (not suppressed). */
export async function removeSuppression(deps: Pick<Deps, "storage">, companyId: string, rawPhone: string): Promise<void> {
  const phone = mustE164(rawPhone);
  const removed = deps.storage.env.transactionSync(() => removeSuppressionSync(deps.storage, companyId, phone));
  if (!removed) throw notFound("suppression");
}

/** The search prefix for a typed phone fragment: separators dropped, a leading + added. */
export function phonePrefix(raw: string | undefined): string {
  const digits = (raw ?? "").replace(/[\s\-().]/g, "");
  if (!digits) return "";
  return digits.startsWith("+") ? digits : "+" + digits;
}

function mustE164(raw: string): string {
  const phone = toE164(raw, DEFAULT_COUNTRY);
  if (!phone) throw new DomainError("invalid", "invalid_phone", `"${raw}" is not a valid phone number (use E.164, e.g. +12025550123)`);
  return phone;
}
