import { expect, setDefaultTimeout, test } from "bun:test";
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/queue/backoff.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

test.each([
  [1, 0, 500],
  [1, 0.999999, 1_000],
  [2, 0, 1_000],
  [3, 0.5, 3_000],
  [10, 0, 256_000],
  [13, 0, 1_800_000],
  [40, 0.999999, 3_599_998],
])("attempt %d with jitter %d waits %d ms", (attempt, r, expected) => {
  expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => r)).toBe(expected);
});

test("never exceeds maxMs and never goes below half the nominal delay", () => {
  for (let attempt = 1; attempt < 80; attempt++) {
    const nominal = Math.min(60_000, 100 * 2 ** (attempt - 1));
    for (const r of [0, 0.3, 0.999]) {
      const d = backoffDelay(attempt, { baseMs: 100, maxMs: 60_000 }, () => r);
      expect(d).toBeGreaterThanOrEqual(nominal / 2);
      expect(d).toBeLessThanOrEqual(60_000);
    }
  }
});
