/** Header names recognised as the phone column, in order of preference (compared lower-case, letters and digits only). */
const PHONE_NAMES = ["phone", "phonenumber", "mobile", "mobilenumber", "mobilephone", "cell", "cellphone", "cellnumber", "msisdn", "telephone", "tel", "number", "phoneno"];

/** Most columns an import accepts: each becomes a custom field of every contact. */
export const MAX_COLUMNS = 1000;

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/**
 * Index of the phone column: the one named `phoneColumn` (case-insensitive) when given, else the first
 * header matching a known phone name (phone, mobile, cell, number, telephone, msisdn, "Phone Number", …).
 * Returns -1 when there is none.
 */
export function findPhoneColumn(columns: string[], phoneColumn?: string): number {
  if (phoneColumn) {
    const want = phoneColumn.trim().toLowerCase();
    return columns.findIndex((c) => c.trim().toLowerCase() === want);
  }
  const squashed = columns.map(squash);
  for (const name of PHONE_NAMES) {
    const i = squashed.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

/** Custom field names for the columns: trimmed, blanks named `column_N`, repeats suffixed `_2`, `_3`… */
export function fieldNames(columns: string[]): string[] {
  const seen = new Map<string, number>();
  return columns.map((c, i) => {
    const base = c.trim() || `column_${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}
