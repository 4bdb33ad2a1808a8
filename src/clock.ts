/** Source of "now" for everything time-dependent; tests inject a fake one. */
export interface Clock {
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests, never for production. */
export class FakeClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 5, 15, 0, 0)) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
