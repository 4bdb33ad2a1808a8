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
  private young = new Map<number, PhoneResult>();
  private old = new Map<number, PhoneResult>();
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
    const ccLength = CC_LENGTH[digitsValue(digits, 3)]!;
    if (ccLength === 0) return parsePhoneSlow(raw, this.defaultCountry);
    // The memo key as a number: the calling code and MEMO_DIGITS more (≤ 9 digits, never a leading 0: no calling
    // code starts with one) times 16, plus the national length (≤ 14). Which digits it covers follows from them.
    const key = digitsValue(digits, ccLength + MEMO_DIGITS) * 16 + (digits.length - ccLength);
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

  private remember(key: number, verdict: PhoneResult): void {
    if (this.young.size >= this.memoSize / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, verdict);
  }
}

/**
 * Digits of an international-looking number (without `+`), or undefined when the fast path does not apply.
 * `00` counts as the international prefix only where parsePhoneSlow reads it: first, as typed ("0 0 44…" is not).
 */
function fastDigits(raw: string, nanpDefault: boolean): string | undefined {
  const text = raw.trim();
  if (text.length > 24) return undefined;
  let s = text.replace(SEPARATORS, "");
  if (s.charCodeAt(0) === 43 /* + */) s = s.slice(1);
  else if (text.startsWith("00")) s = s.slice(2);
  else if (nanpDefault && s.length === 10 && s.charCodeAt(0) !== 48 && s.charCodeAt(0) !== 49) s = "1" + s;
  else if (!(nanpDefault && s.length === 11 && s.charCodeAt(0) === 49)) return undefined;
  if (s.length < 8 || s.length > 15 || !/^\d+$/.test(s)) return undefined;
  return s;
}

/** The number the first `n` digits of `digits` spell (all of them when shorter). */
function digitsValue(digits: string, n: number): number {
  const end = Math.min(n, digits.length);
  let v = 0;
  for (let i = 0; i < end; i++) v = v * 10 + (digits.charCodeAt(i) - 48);
  return v;
}

/**
 * Length of the calling code a number starts with, by its first three digits (0: none). The shortest match
 * wins, as libphonenumber's own extraction does: calling codes are prefix-free.
 */
const CC_LENGTH = (() => {
  const table = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) {
    const three = String(i).padStart(3, "0");
    for (let n = 1; n <= 3; n++) {
      if (CALLING_CODES.has(three.slice(0, n))) {
        table[i] = n;
        break;
      }
    }
  }
  return table;
})();
