import { expect, setDefaultTimeout, test } from "bun:test";
import { RateWindow } from "../../src/queue/rate-window.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

test("counts the events of the last 60 seconds only", () => {
  const w = new RateWindow();
  const t = 1_000_000_000;
  w.add(5, t);
  w.add(3, t + 30_000);
  expect(w.total(t + 30_000)).toBe(8);
  expect(w.total(t + 59_999)).toBe(8);
  expect(w.total(t + 60_000)).toBe(3);
  w.add(1, t + 120_000); // reuses the slot of t: the old count must not leak in
  expect(w.total(t + 120_000)).toBe(1);
});
