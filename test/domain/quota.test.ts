import { expect, test } from "bun:test";
import { effectiveMps, quotaPerMinute, type NumberType } from "../../src/domain/quota.ts";

type N = { type: NumberType; mps?: number };
const lc: N = { type: "long_code" };
const tf: N = { type: "toll_free" };
const sc: N = { type: "short_code" };

test.each<[string, N[], number | undefined | null, number]>([
  ["no numbers send nothing", [], undefined, 0],
  ["one long code: 1 × 60 × 0.9", [lc], undefined, 54],
  ["one toll-free: 3 × 60 × 0.9", [tf], undefined, 162],
  ["one short code: 100 × 60 × 0.9", [sc], undefined, 5400],
  ["rates add up across numbers", [lc, lc, tf], undefined, 270],
  ["a number's own mps overrides its type", [{ type: "long_code", mps: 10 }], undefined, 540],
  ["fractional mps floors the result", [{ type: "long_code", mps: 0.5 }], undefined, 27],
  ["float noise never floors a message away", [{ type: "long_code", mps: 0.1 }, { type: "long_code", mps: 0.2 }], undefined, 16],
  ["the cap wins when lower", [sc], 1000, 1000],
  ["the cap does nothing when higher", [lc], 1000, 54],
  ["null cap means no cap", [tf], null, 162],
  ["mixed pool under its cap: 104 × 54", [lc, tf, sc], 6000, 5616],
  ["mixed pool over its cap", [lc, tf, sc], 5000, 5000],
])("%s", (_name, numbers, cap, expected) => {
  expect(quotaPerMinute(numbers, cap)).toBe(expected);
});

test.each<[N, number]>([[lc, 1], [tf, 3], [sc, 100], [{ type: "short_code", mps: 30 }, 30]])("effective mps of %o is %d", (n, mps) => {
  expect(effectiveMps(n)).toBe(mps);
});
