/**
 * Quiet hours: a message may be sent only while the recipient's local time is inside [start, end).
 * A window whose end is before its start wraps midnight (e.g. 22:00–06:00). Uses Intl, so DST is right.
 */
export interface QuietWindow {
  start: string; // "HH:MM"
  end: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return h * 60 + m;
}

/** Minutes since local midnight at `at` in time zone `tz` (invalid zones fall back to UTC). */
export function localMinutes(at: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch {
      f = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    }
    formatters.set(tz, f);
  }
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === "hour") h = Number(p.value);
    else if (p.type === "minute") m = Number(p.value);
  }
  return h * 60 + m;
}

/** True when `at` falls inside the sending window in time zone `tz`. */
export function isInsideWindow(window: QuietWindow, tz: string, at: number): boolean {
  const s = minutesOfDay(window.start);
  const e = minutesOfDay(window.end);
  if (s === e) return true;
  const now = localMinutes(at, tz);
  return s < e ? now >= s && now < e : now >= s || now < e;
}
