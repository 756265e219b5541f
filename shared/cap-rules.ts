import { startOfUtcDay } from "./limits";
import type { Caps } from "./plans";

/**
 * The rules about whether traffic went over a plan's caps, in one place: detection (sustained
 * notices), the recommendation, the shadow audit and enforcement readiness all ask these, so they
 * can never disagree about which days were over.
 */

/** One UTC day of an account's traffic. */
export interface DayTraffic {
  /** Calls made that day that counted against caps (served, would-throttle and refused for a cap). */
  calls: number;
  /** The day's busiest minute, in calls. */
  peakMinute: number;
}

/** The rate windows a day went over: its busiest minute above the minute cap, its calls above the day cap. */
export function rateWindowsOver(caps: Pick<Caps, "minute" | "day">, d: DayTraffic): Array<"minute" | "day"> {
  const over: Array<"minute" | "day"> = [];
  if (caps.minute !== undefined && d.peakMinute > caps.minute) over.push("minute");
  if (caps.day !== undefined && d.calls > caps.day) over.push("day");
  return over;
}

/** The one rule for "was this day over a cap": its busiest minute over the minute cap, or its calls over the day cap. */
export function dayOverCaps(caps: Pick<Caps, "minute" | "day">, d: DayTraffic): boolean {
  return (caps.minute !== undefined && d.peakMinute > caps.minute) || (caps.day !== undefined && d.calls > caps.day);
}

export interface MinuteTraffic {
  /** Unix ms of the minute's start. */
  minuteMs: number;
  calls: number;
}

export interface RefusalReplay {
  /** Calls the caps would have refused, per UTC day start (unix ms); days without refusals are absent. */
  refusedByDay: Map<number, number>;
  refused: number;
}

/**
 * Replays per-minute traffic against a set of caps, as enforcement would have decided it: a call
 * refused by any window consumes none. Whole minutes stand in for the meter's sliding minute (the
 * per-minute rollups do not keep seconds), so a burst straddling two minutes can be counted a
 * little more leniently than the meter would. `monthUsedBefore` is what the month window already
 * held at the first minute; `monthStartsMs` are the instants its count starts over (period starts).
 */
export function replayAgainstCaps(
  caps: Caps,
  minutes: readonly MinuteTraffic[],
  opts: { monthUsedBefore?: number; monthStartsMs?: readonly number[] } = {},
): RefusalReplay {
  const sorted = [...minutes].sort((a, b) => a.minuteMs - b.minuteMs);
  const starts = [...(opts.monthStartsMs ?? [])].sort((a, b) => a - b);
  let nextStart = 0;
  while (nextStart < starts.length && starts[nextStart]! <= (sorted[0]?.minuteMs ?? 0)) nextStart++;
  let month = opts.monthUsedBefore ?? 0;
  let day = 0;
  let dayMs = -1;
  let refused = 0;
  const refusedByDay = new Map<number, number>();
  for (const m of sorted) {
    while (nextStart < starts.length && starts[nextStart]! <= m.minuteMs) {
      month = 0;
      nextStart++;
    }
    const d = startOfUtcDay(m.minuteMs);
    if (d !== dayMs) {
      dayMs = d;
      day = 0;
    }
    let served = m.calls;
    if (caps.minute !== undefined) served = Math.min(served, caps.minute);
    if (caps.day !== undefined) served = Math.max(0, Math.min(served, caps.day - day));
    if (caps.month !== undefined) served = Math.max(0, Math.min(served, caps.month - month));
    day += served;
    month += served;
    const no = m.calls - served;
    if (no > 0) {
      refused += no;
      refusedByDay.set(d, (refusedByDay.get(d) ?? 0) + no);
    }
  }
  return { refusedByDay, refused };
}
