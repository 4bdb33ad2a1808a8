import type { System } from "../../src/system.ts";

/**
 * Runs every due job until nothing is left to do, including work that arrives a moment later from
 * drivers' own callbacks (the sandbox reports through a zero-delay timer). Waits on the queue's state,
 * never on wall-clock time; gives up after `maxRounds` event-loop turns without progress.
 */
export async function settle(sys: System, maxRounds = 50): Promise<number> {
  let total = 0;
  let idle = 0;
  while (idle < maxRounds) {
    const n = await sys.runner.runUntilEmpty();
    total += n;
    if (n > 0) idle = 0;
    else idle++;
    await new Promise((r) => setTimeout(r, 0));
  }
  return total;
}
