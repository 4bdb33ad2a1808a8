/** Phone number checks for what users type into the API (sender numbers, suppressions). Pure. */
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

/**
 * The E.164 form of `input` (spaces, dashes and brackets allowed), or undefined when it is not a valid number.
 * Without `defaultCountry` the number must be international (leading +); with it, a national number is read in it.
 */
export function toE164(input: string, defaultCountry?: CountryCode): string | undefined {
  const text = input.trim();
  if (!text || text.length > 40 || /[a-z]/i.test(text)) return undefined;
  const parsed = parsePhoneNumberFromString(text, defaultCountry ? { defaultCountry } : undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** True for a short code: 3 to 8 digits, nothing else (short codes are not E.164). */
export function isShortCode(input: string): boolean {
  return /^\d{3,8}$/.test(input.trim());
}
