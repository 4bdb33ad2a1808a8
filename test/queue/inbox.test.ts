import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLOOD_MAX_LAG_MS, FLOOD_MOVE_SHARE, FLOOD_RATE, InboxMover, MOVE_COST_PER_CALLBACK_MS, moveRestMs, RateCounter, type InboxEntry } from "../../src/queue/inbox.ts";
import { Journal } from "../../src/storage/journal.ts";

test("the move rests only under a flood, so that it takes FLOOD_MOVE_SHARE of the loop, and never past the lag bound", () => {
  const flood = { acceptedLastSecond: FLOOD_RATE + 1, oldestAgeMs: 1_000, movedMs: 10 };
  // The callback's 10 ms stand for 16 ms of this thread; resting 9 times that leaves the move a tenth.
  expect(moveRestMs(flood)).toBeCloseTo((10 * MOVE_COST_PER_CALLBACK_MS * (1 - FLOOD_MOVE_SHARE)) / FLOOD_MOVE_SHARE, 6);
  expect(moveRestMs({ ...flood, acceptedLastSecond: FLOOD_RATE })).toBe(0); // a campaign's usual rates: no rest
  expect(moveRestMs({ ...flood, oldestAgeMs: FLOOD_MAX_LAG_MS })).toBe(0); // reports already that late: flat out
  expect(moveRestMs({ ...flood, oldestAgeMs: Infinity })).toBe(0); // left by a restart: age unknown, flat out
  expect(moveRestMs({ ...flood, movedMs: 1_000 })).toBe(200); // one rest is bounded
});

test("the accept rate counts about the last second", () => {
  const t0 = 5_000;
  const r = new RateCounter(t0);
  r.add(600, t0 + 100);
  expect(r.lastSecond(t0 + 900)).toBe(600);
  r.add(400, t0 + 1_200); // a new window; the previous one still counts by its overlap with the last second
  expect(r.lastSecond(t0 + 1_500)).toBeCloseTo(400 + 600 * 0.5, 6);
  expect(r.lastSecond(t0 + 2_000)).toBe(400); // only the window just ended
  expect(r.lastSecond(t0 + 3_500)).toBe(0); // quiet for over a second
});

test("the lag is the age of the oldest entry not yet moved (what /metrics shows), 0 once all moved", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pombo-inbox-lag-"));
  const journal = new Journal(dir, { syncMs: 50 });
  try {
    let now = 1_000;
    const gate = Promise.withResolvers<void>();
    const moved: string[] = [];
    const mover = new InboxMover({
      journal,
      readMark: () => 0,
      move: async (entries) => {
        await gate.promise; // the first move is held until the test lets it go
        moved.push(...entries.map((e) => e.value[2] as string));
        return 0;
      },
      flushed: async () => undefined,
      now: () => now,
    });
    const entry = (data: string): InboxEntry => ["hook.in", "webhooks", data, 5, null, null];
    expect(mover.lagMs()).toBe(0);
    await mover.add(entry("a"));
    now = 1_500;
    await mover.add(entry("b"));
    now = 4_000;
    expect(mover.lagMs()).toBe(3_000); // "a", accepted at 1,000
    expect(mover.depth()).toBe(2);
    gate.resolve();
    await mover.settled();
    expect(moved).toEqual(["a", "b"]);
    expect(mover.lagMs()).toBe(0);
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
