import { getCountries, getCountryCallingCode, parsePhoneNumberWithError, type CountryCode } from "libphonenumber-js/max";

/** A normalised phone number, or why a raw value was rejected (snake_case, shown in errors.csv). */
export type PhoneResult = { ok: true; e164: string; country: string } | { ok: false; reason: string };

const REASONS: Record<string, string> = {
  INVALID_COUNTRY: "unknown_country",
  NOT_A_NUMBER: "not_a_number",
  TOO_SHORT: "too_short",
  TOO_LONG: "too_long",
  INVALID_LENGTH: "invalid_length",
};

/** True when `code` is a country libphonenumber knows (ISO 3166 alpha-2, upper case). */
export function isKnownCountry(code: string): code is CountryCode {
  return KNOWN.has(code);
}
const KNOWN = new Set<string>(getCountries());

/**
 * The full parse with libphonenumber-js (`max` metadata): accepts what people type, in `defaultCountry`
 * when there is no `+`/`00` prefix. Letters are rejected (no vanity numbers).
 */
export function parsePhoneSlow(raw: string, defaultCountry: CountryCode): PhoneResult {
  const text = raw.trim();
  if (!text) return { ok: false, reason: "empty" };
  if (/[a-z]/i.test(text)) return { ok: false, reason: "letters" };
  if (text.length > 40) return { ok: false, reason: "too_long" };
  try {
    const p = parsePhoneNumberWithError(text.replace(/^\s*00/, "+"), defaultCountry);
    if (!p.isValid()) return { ok: false, reason: "invalid_number" };
    return { ok: true, e164: p.number, country: p.country ?? "" };
  } catch (e) {
    return { ok: false, reason: REASONS[(e as Error).message] ?? "not_a_number" };
  }
}

const CALLING_CODES = new Set(getCountries().map((c) => getCountryCallingCode(c) as string));
/** Leading national digits that decide validity and country in libphonenumber's patterns (checked by test). */
const MEMO_DIGITS = 6;
const SLOW: PhoneResult = { ok: false, reason: "slow" };
const SEPARATORS = /[\s\-.()\/]/g;

/**
 * Normalises phone numbers with a fast path for the common shapes (`+CC…`, `00CC…`, plain or `1`-prefixed
 * NANP digits): their verdict is memoised by calling code, the first national digits and the length, since
 * libphonenumber's validity and region patterns depend only on those. Everything else takes the full parse.
 * Memory is bounded: the memo is a two-generation cache.
 */
export class PhoneNormaliser {
  private young = new Map<string, PhoneResult>();
  private old = new Map<string, PhoneResult>();
  private readonly nanpDefault: boolean;

  constructor(
    private readonly defaultCountry: CountryCode,
    private readonly memoSize = 200_000,
  ) {
    this.nanpDefault = getCountryCallingCode(defaultCountry) === "1";
  }

  /** E.164 and country of `raw`, or the reason it is not a valid number. */
  normalise(raw: string): PhoneResult {
    const digits = fastDigits(raw, this.nanpDefault);
    if (digits === undefined) return parsePhoneSlow(raw, this.defaultCountry);
    const cc = callingCode(digits);
    if (cc === undefined) return parsePhoneSlow(raw, this.defaultCountry);
    const national = digits.length - cc.length;
    const key = digits.slice(0, cc.length + MEMO_DIGITS) + ":" + national;
    let verdict = this.young.get(key) ?? this.old.get(key);
    if (verdict === undefined) {
      const full = parsePhoneSlow("+" + digits, this.defaultCountry);
      // A number libphonenumber rewrites (e.g. a trunk 0 after the country code) never takes the fast path.
      verdict = full.ok && full.e164 !== "+" + digits ? SLOW : full;
      this.remember(key, verdict);
      return full;
    }
    if (verdict === SLOW) return parsePhoneSlow(raw, this.defaultCountry);
    return verdict.ok ? { ok: true, e164: "+" + digits, country: verdict.country } : verdict;
  }

  private remember(key: string, verdict: PhoneResult): void {
    if (this.young.size >= this.memoSize / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, verdict);
  }
}

/** Digits of an international-looking number (without `+`), or undefined when the fast path does not apply. */
function fastDigits(raw: string, nanpDefault: boolean): string | undefined {
  let s = raw.trim();
  if (s.length > 24) return undefined;
  s = s.replace(SEPARATORS, "");
  if (s.charCodeAt(0) === 43 /* + */) s = s.slice(1);
  else if (s.startsWith("00")) s = s.slice(2);
  else if (nanpDefault && s.length === 10 && s.charCodeAt(0) !== 48 && s.charCodeAt(0) !== 49) s = "1" + s;
  else if (!(nanpDefault && s.length === 11 && s.charCodeAt(0) === 49)) return undefined;
  if (s.length < 8 || s.length > 15 || !/^\d+$/.test(s)) return undefined;
  return s;
}

function callingCode(digits: string): string | undefined {
  for (let n = 1; n <= 3; n++) if (CALLING_CODES.has(digits.slice(0, n))) return digits.slice(0, n);
  return undefined;
}
