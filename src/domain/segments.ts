/**
 * SMS encoding and segment counting (GSM 03.38). A message is GSM-7 when every character is in the
 * basic set or the extension table (extension characters cost two septets); otherwise UCS-2.
 * Single-part limits 160 (GSM-7) / 70 (UCS-2); concatenated parts carry a header: 153 / 67 each.
 */
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export type Encoding = "GSM-7" | "UCS-2";

export interface SegmentInfo {
  encoding: Encoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text occupies. */
  units: number;
  /** Characters that forced UCS-2, for the template editor's warning. */
  nonGsm: string[];
}

/** Computes encoding and segment count of a message body. */
export function countSegments(text: string): SegmentInfo {
  let septets = 0;
  const nonGsm: string[] = [];
  for (const ch of text) {
    if (BASIC.has(ch)) septets += 1;
    else if (EXTENDED.has(ch)) septets += 2;
    else if (nonGsm.length < 10 && !nonGsm.includes(ch)) nonGsm.push(ch);
    else if (nonGsm.length >= 10) nonGsm.push(ch);
  }
  if (nonGsm.length === 0) {
    return { encoding: "GSM-7", units: septets, segments: septets === 0 ? 1 : septets <= 160 ? 1 : Math.ceil(septets / 153), nonGsm };
  }
  // UCS-2 counts UTF-16 code units: an emoji (surrogate pair) is two.
  const units = text.length;
  return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67), nonGsm: [...new Set(nonGsm)].slice(0, 10) };
}
