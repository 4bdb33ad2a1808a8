/**
 * A company's compliance settings and the words every company honours. Pure: defaults and validation only;
 * reading and writing are in services/compliance.ts.
 */

/** Opt-out words that always apply, whatever the company adds (SPEC: rules for inbound replies). */
export const STANDARD_STOP_WORDS: readonly string[] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/** Words that lift an opt-out. */
export const START_WORDS: readonly string[] = ["START", "UNSTOP"];
/** Words answered with the company's help text. */
export const HELP_WORDS: readonly string[] = ["HELP"];

export interface ComplianceSettings {
  /** The sending window in the recipient's local time, "HH:MM" 24 h; end before start wraps midnight; start = end means no window. */
  quietHours: { start: string; end: string };
  /** No phone gets more than one campaign message per this many hours; 0 turns the cap off. */
  frequencyCapHours: number;
  /** The company's own stop words (upper-cased), on top of STANDARD_STOP_WORDS. */
  stopWords: string[];
  /** The answer to HELP. */
  helpText: string;
  /** IANA zone used when a recipient's own zone is unknown. */
  timezone: string;
}

/** What a company that never saved settings gets. */
export const DEFAULT_COMPLIANCE: Readonly<ComplianceSettings> = Object.freeze({
  quietHours: Object.freeze({ start: "08:00", end: "21:00" }),
  frequencyCapHours: 24,
  stopWords: Object.freeze([]) as unknown as string[],
  helpText: "Reply STOP to unsubscribe. Msg & data rates may apply.",
  timezone: "UTC",
});

export const MAX_FREQUENCY_CAP_HOURS = 720;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The canonical form of a reply word: trimmed and upper-cased (matching is case-insensitive on the trimmed text). */
export function normalizeWord(text: string): string {
  return text.trim().toUpperCase();
}

/** True when `word` (normalised) has a fixed meaning: a standard stop word, START/UNSTOP or HELP. */
export function isReservedWord(word: string): boolean {
  const w = normalizeWord(word);
  return STANDARD_STOP_WORDS.includes(w) || START_WORDS.includes(w) || HELP_WORDS.includes(w);
}

/** True when `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Returns a message naming the first invalid setting, or undefined when `s` is acceptable. */
export function checkComplianceSettings(s: ComplianceSettings): string | undefined {
  if (!HHMM.test(s.quietHours.start)) return `quietHours.start must be HH:MM (00:00–23:59), got "${s.quietHours.start}"`;
  if (!HHMM.test(s.quietHours.end)) return `quietHours.end must be HH:MM (00:00–23:59), got "${s.quietHours.end}"`;
  if (!Number.isInteger(s.frequencyCapHours) || s.frequencyCapHours < 0 || s.frequencyCapHours > MAX_FREQUENCY_CAP_HOURS) {
    return `frequencyCapHours must be a whole number from 0 to ${MAX_FREQUENCY_CAP_HOURS}`;
  }
  if (!isTimeZone(s.timezone)) return `timezone must be an IANA time zone such as "America/New_York", got "${s.timezone}"`;
  if (!s.helpText.trim()) return "helpText must not be empty";
  for (const w of s.stopWords) {
    if (!/^\S+$/.test(w)) return `stop word "${w}" must be one word`;
    if (START_WORDS.includes(w) || HELP_WORDS.includes(w)) return `"${w}" cannot be a stop word: it has its own meaning`;
  }
  return undefined;
}
