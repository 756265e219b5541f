import { DAY_MS, MINUTE_MS, startOfMinute, startOfUtcDay } from "../../shared/limits";
import type { DailyUsage } from "../../shared/recommend";
import type { Store } from "../db/queries/store";
import { hasUsage, usageDays, usageMinutes, type MeterColumn, type UsageDayRow } from "../db/queries/usage";
import type { Account } from "../accounts/accounts";
import type { UsageCounts } from "./usage-summary";
import { plansByDay } from "../plans/plan-history";
import type { MeterSpec } from "./meters";

export const HISTORY_MINUTES = 60;
export const HISTORY_DAYS = 30;

export interface MinutePoint extends UsageCounts {
  /** Unix ms of the minute's start. */
  startMs: number;
}

export interface DayPoint extends UsageCounts {
  /** Unix ms of the UTC day's start. */
  startMs: number;
  /** The day's busiest minute (allowed + would_throttle), in calls. */
  peakMinute: number;
  /** The plans the account was on that day (usage history only): a day not spent wholly on the current plan was decided against other caps. */
  plans?: string[];
}

/** One meter's history, for its charts. */
export interface MeterHistory {
  /** The meter's id. */
  id: string;
  /** What it counts, in the plural ("MCP tool calls"): the heading of its charts. */
  unit: string;
  /** The last 60 minutes, oldest first, ending with the current (partial) minute; missing minutes are zeros. */
  minutes: MinutePoint[];
  /** The last 30 UTC days, oldest first, ending with today (partial); missing days are zeros. */
  days: DayPoint[];
  /** The account's caps on the meter for the cap lines; null = no cap in that window. */
  caps: { minute: number | null; day: number | null; month: number | null };
}

export interface UsageHistory {
  /** The default meter's last 60 minutes, oldest first, ending with the current (partial) minute; missing minutes are zeros. */
  minutes: MinutePoint[];
  /** The default meter's last 30 UTC days, oldest first, ending with today (partial); missing days are zeros. */
  days: DayPoint[];
  /** The account's caps on the default meter for the cap lines; null = no cap in that window. */
  caps: { minute: number | null; day: number | null; month: number | null };
  /** Every meter's history, the default meter first (its entry holds the same points as the fields above). */
  meters: MeterHistory[];
  /** The plan the account is on now: days with other plans in `plans` were counted against those plans' caps. */
  planId: string;
  /** False until the account's first call was counted, ever: the portal then shows how to make one. */
  hasCalls: boolean;
}

const ZERO: UsageCounts = { allowed: 0, wouldThrottle: 0, throttled: 0, ceiling: 0 };

/** The first of the last `days` UTC days (today included), unix ms. */
export function historyStartMs(nowMs: number, days = HISTORY_DAYS): number {
  return startOfUtcDay(nowMs) - (days - 1) * DAY_MS;
}

/** The last `days` UTC days of the account's rollup rows, oldest first, missing days as zeros. */
export function dailyPoints(rows: readonly UsageDayRow[], nowMs: number, days = HISTORY_DAYS): DayPoint[] {
  const fromMs = historyStartMs(nowMs, days);
  const byDay = new Map(rows.map((r) => [r.dayMs, r]));
  return Array.from({ length: days }, (_, i) => {
    const startMs = fromMs + i * DAY_MS;
    const r = byDay.get(startMs);
    return r
      ? { startMs, allowed: r.allowed, wouldThrottle: r.wouldThrottle, throttled: r.throttled, ceiling: r.ceiling, peakMinute: r.peakMinute }
      : { startMs, ...ZERO, peakMinute: 0 };
  });
}

/** The last `days` UTC days of the account's rollup of one meter, oldest first, missing days as zeros. */
export async function getDailyHistory(db: Store, accountId: string, meter: MeterColumn, nowMs: number, days = HISTORY_DAYS): Promise<DayPoint[]> {
  return dailyPoints(await usageDays(db, accountId, meter, historyStartMs(nowMs, days), startOfUtcDay(nowMs)), nowMs, days);
}

/**
 * Calls a plan would have had to carry that day: served (allowed + would_throttle) plus those refused
 * for a cap, which a bigger plan would have served. Safety-ceiling refusals apply on every plan.
 */
export function toDailyUsage(days: readonly DayPoint[]): DailyUsage[] {
  return days.map((d) => ({ dayMs: d.startMs, calls: d.allowed + d.wouldThrottle + d.throttled, peakMinute: d.peakMinute }));
}

/**
 * The signed-in account's last hour per minute and last 30 days per day on each of the catalog's
 * `meters` (the default first), for the usage charts.
 */
export async function getUsageHistory(db: Store, account: Account, nowMs: number, meters: readonly MeterSpec[]): Promise<UsageHistory> {
  const lastMinuteMs = startOfMinute(nowMs);
  const firstMinuteMs = lastMinuteMs - (HISTORY_MINUTES - 1) * MINUTE_MS;
  const byDay = await plansByDay(db, account.id, account.plan.id, historyStartMs(nowMs), nowMs);
  const histories: MeterHistory[] = [];
  for (const meter of meters) {
    const byMinute = new Map((await usageMinutes(db, account.id, meter.column, firstMinuteMs, lastMinuteMs)).map((r) => [r.minuteMs, r]));
    const minutes: MinutePoint[] = Array.from({ length: HISTORY_MINUTES }, (_, i) => {
      const startMs = firstMinuteMs + i * MINUTE_MS;
      const r = byMinute.get(startMs);
      return r ? { startMs, allowed: r.allowed, wouldThrottle: r.wouldThrottle, throttled: r.throttled, ceiling: r.ceiling } : { startMs, ...ZERO };
    });
    const days = (await getDailyHistory(db, account.id, meter.column, nowMs)).map((d) => ({ ...d, plans: byDay.get(d.startMs) ?? [account.plan.id] }));
    // The default meter's caps carry the account's overrides; the others are the plan's.
    const caps = meter.isDefault ? account.caps : (account.plan.meters[meter.id]?.caps ?? {});
    histories.push({ id: meter.id, unit: meter.unit, minutes, days, caps: { minute: caps.minute ?? null, day: caps.day ?? null, month: caps.month ?? null } });
  }
  const main = histories[0]!;
  const anyInWindow = histories.some((h) => h.minutes.some(hasCounts) || h.days.some(hasCounts));
  const hasCalls = anyInWindow || (await hasUsage(db, account.id));
  return {
    minutes: main.minutes,
    days: main.days,
    caps: main.caps,
    meters: histories,
    planId: account.plan.id,
    hasCalls,
  };
}

function hasCounts(p: UsageCounts): boolean {
  return p.allowed + p.wouldThrottle + p.throttled + p.ceiling > 0;
}
