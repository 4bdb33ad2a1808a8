/**
 * A company's compliance settings: read on every send (served from memory), written by PUT. The cache is
 * per process and per storage; it is refreshed by every write here, which is the only writer.
 */
import type { Deps } from "../deps.ts";
import {
  checkComplianceSettings, DEFAULT_COMPLIANCE, normalizeWord, STANDARD_STOP_WORDS, type ComplianceSettings,
} from "../domain/compliance-settings.ts";
import { DomainError } from "../domain/errors.ts";
import type { Storage } from "../storage/db.ts";
import { listKeywords } from "../storage/keywords.ts";
import { getSetting, putSettingSync } from "../storage/settings.ts";

export interface CompliancePatch {
  quietHours?: { start: string; end: string };
  frequencyCapHours?: number;
  stopWords?: string[];
  helpText?: string;
  timezone?: string;
}

const cache = new WeakMap<Storage, Map<string, Readonly<ComplianceSettings>>>();

function companyCache(storage: Storage): Map<string, Readonly<ComplianceSettings>> {
  let m = cache.get(storage);
  if (!m) cache.set(storage, (m = new Map()));
  return m;
}

/** The company's settings (defaults for what was never set), frozen: do not mutate. Cheap enough to call per message. */
export function getComplianceSettings(storage: Storage, companyId: string): Readonly<ComplianceSettings> {
  const m = companyCache(storage);
  let settings = m.get(companyId);
  if (!settings) {
    settings = freeze({ ...DEFAULT_COMPLIANCE, ...getSetting<Partial<ComplianceSettings>>(storage, companyId, "compliance") });
    m.set(companyId, settings);
  }
  return settings;
}

/**
 * Applies `patch` over the current settings (fields left out keep their value), validates and saves.
 * Stop words are trimmed, upper-cased and de-duplicated; the standard ones need not be listed.
 * @throws DomainError invalid (bad time, zone, cap, or a stop word that is START/HELP), conflict (a stop word is a keyword).
 */
export async function updateComplianceSettings(deps: Pick<Deps, "storage">, companyId: string, patch: CompliancePatch): Promise<Readonly<ComplianceSettings>> {
  const current = getComplianceSettings(deps.storage, companyId);
  const next: ComplianceSettings = {
    quietHours: patch.quietHours ? { start: patch.quietHours.start, end: patch.quietHours.end } : { ...current.quietHours },
    frequencyCapHours: patch.frequencyCapHours ?? current.frequencyCapHours,
    // The standard stop words always apply, so listing one adds nothing; START/HELP are refused by the check.
    stopWords: patch.stopWords ? [...new Set(patch.stopWords.map(normalizeWord))].filter((w) => w && !STANDARD_STOP_WORDS.includes(w)) : [...current.stopWords],
    helpText: patch.helpText?.trim() ?? current.helpText,
    timezone: patch.timezone?.trim() ?? current.timezone,
  };
  const problem = checkComplianceSettings(next);
  if (problem) throw new DomainError("invalid", "invalid_settings", problem);
  // Check against keywords and write in one synchronous transaction, then refresh the cache before anything else
  // runs, so a keyword created concurrently sees either the old or the new stop words, never neither.
  deps.storage.env.transactionSync(() => {
    const keywords = new Set(listKeywords(deps.storage, companyId).map((k) => k.keyword));
    const clash = next.stopWords.find((w) => keywords.has(w));
    if (clash) throw new DomainError("conflict", "stop_word_is_keyword", `"${clash}" is a reply keyword; delete the keyword first`);
    putSettingSync(deps.storage, companyId, "compliance", { v: 1, ...next });
  });
  const saved = freeze(next);
  companyCache(deps.storage).set(companyId, saved);
  return saved;
}

function freeze(s: ComplianceSettings & { v?: number }): Readonly<ComplianceSettings> {
  const { quietHours, frequencyCapHours, stopWords, helpText, timezone } = s;
  return Object.freeze({
    quietHours: Object.freeze({ ...quietHours }), frequencyCapHours, stopWords: Object.freeze([...stopWords]) as string[], helpText, timezone,
  });
}
