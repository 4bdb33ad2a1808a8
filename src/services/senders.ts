/**
 * Sender-number choice: sticky per recipient (the same contact always gets the same number of the
 * account's pool, while the pool is unchanged) and spread evenly across the pool (FNV-1a of the recipient).
 */
export function pickSender(numbers: readonly string[], to: string): string {
  if (numbers.length === 0) throw new Error("account has no sender numbers");
  let h = 0x811c9dc5;
  for (let i = 0; i < to.length; i++) {
    h ^= to.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return numbers[h % numbers.length]!;
}
