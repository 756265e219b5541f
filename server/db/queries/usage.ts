import type Database from "better-sqlite3";
import { and, asc, eq, gte, lte, sql } from "drizzle-orm";
import { billingPeriodAt, DAY_MS, monthWindowStart, startOfMinute, startOfUtcDay } from "../../../shared/limits";
import { usageDay, usageMinute } from "../schema";
import type { Store } from "./store";

type Statements = { days: Database.Statement; minutes: Database.Statement };
const prepared = new WeakMap<Database.Database, Statements>();

function statements(sqlite: Database.Database): Statements {
  let s = prepared.get(sqlite);
  if (!s) {
    s = {
      days: sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_day where account_id = ? and day_ms >= ? and day_ms < ?").pluck(),
      minutes: sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and minute_ms >= ? and minute_ms < ?").pluck(),
    };
    prepared.set(sqlite, s);
  }
  return s;
}

/**
 * Calls served (allowed + would_throttle) in [fromMs, toMs), to the minute: whole UTC days from the
 * day rollup, the partial days at either end from the minute rollup. A billing period that starts
 * mid-day (a Free → paid switch) or a plan that started mid-period counts from its own minute.
 */
export function callsServedBetween(sqlite: Database.Database, accountId: string, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const s = statements(sqlite);
  const from = startOfMinute(fromMs);
  const firstFullDay = startOfUtcDay(from) === from ? from : startOfUtcDay(from) + DAY_MS;
  const lastFullDayEnd = startOfUtcDay(toMs);
  if (firstFullDay >= lastFullDayEnd) return s.minutes.get(accountId, from, toMs) as number;
  return (
    (s.minutes.get(accountId, from, firstFullDay) as number) +
    (s.days.get(accountId, firstFullDay, lastFullDayEnd) as number) +
    (s.minutes.get(accountId, lastFullDayEnd, toMs) as number)
  );
}

/** Reads what the rollups hold for an account's current windows. */
export function persistedUsage(sqlite: Database.Database) {
  const day = sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_day where account_id = ? and day_ms = ?").pluck();
  const minute = sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and minute_ms = ?").pluck();
  return (accountId: string, billingAnchorMs: number, nowMs: number, planStartedAtMs: number | null = null, quotaWindow: "month" | "year" = "month") => {
    const period = billingPeriodAt(billingAnchorMs, nowMs, quotaWindow);
    return {
      dayUsed: day.get(accountId, startOfUtcDay(nowMs)) as number,
      monthUsed: callsServedBetween(sqlite, accountId, monthWindowStart(period, planStartedAtMs), period.endMs),
      minuteUsed: minute.get(accountId, startOfMinute(nowMs)) as number,
    };
  };
}

// ---- off the hot path: the portal's and the console's charts, detection, the plan advisor ----------

/** One account's counts for one UTC day, as the rollup holds them. */
export type UsageDayRow = typeof usageDay.$inferSelect;

/** One minute's counts summed over the account's keys. */
export interface UsageMinuteRow {
  minuteMs: number;
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

/**
 * The account's day rows from `fromDayMs` to `toDayMs` (both included; no end when absent).
 * Synchronous, for the plan advisor's answer to the meter's 429 (see PlanAdvisor.switchFor);
 * everything else reads through usageDays.
 */
export function usageDaysNow(db: Store, accountId: string, fromDayMs: number, toDayMs?: number): UsageDayRow[] {
  const upTo = toDayMs === undefined ? undefined : lte(usageDay.dayMs, toDayMs);
  return db
    .select()
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), gte(usageDay.dayMs, fromDayMs), upTo))
    .all();
}

export async function usageDays(db: Store, accountId: string, fromDayMs: number, toDayMs?: number): Promise<UsageDayRow[]> {
  return usageDaysNow(db, accountId, fromDayMs, toDayMs);
}

/** The account's row for one UTC day, if it has one. */
export async function usageDayOf(db: Store, accountId: string, dayMs: number): Promise<UsageDayRow | undefined> {
  return db
    .select()
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), eq(usageDay.dayMs, dayMs)))
    .get();
}

/** Per-minute counts summed over the account's keys, for the minutes in [fromMs, toMs]. */
export async function usageMinutes(db: Store, accountId: string, fromMs: number, toMs: number): Promise<UsageMinuteRow[]> {
  return db
    .select({
      minuteMs: usageMinute.minuteMs,
      allowed: sql<number>`sum(${usageMinute.allowed})`,
      wouldThrottle: sql<number>`sum(${usageMinute.wouldThrottle})`,
      throttled: sql<number>`sum(${usageMinute.throttled})`,
      ceiling: sql<number>`sum(${usageMinute.ceiling})`,
    })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), gte(usageMinute.minuteMs, fromMs), lte(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .all();
}

/** The first UTC day the account has any usage recorded for (unix ms), or null. Synchronous for the same 429 path as usageDaysNow. */
export function firstUsageDayNow(db: Store, accountId: string): number | null {
  const row = db.select({ dayMs: usageDay.dayMs }).from(usageDay).where(eq(usageDay.accountId, accountId)).orderBy(asc(usageDay.dayMs)).limit(1).get();
  return row?.dayMs ?? null;
}

export async function firstUsageDay(db: Store, accountId: string): Promise<number | null> {
  return firstUsageDayNow(db, accountId);
}

/** Whether any usage was ever counted for the account. */
export async function hasUsage(db: Store, accountId: string): Promise<boolean> {
  return db.select({ one: sql<number>`1` }).from(usageDay).where(eq(usageDay.accountId, accountId)).limit(1).get() !== undefined;
}

/** callsServedBetween through the store (synchronous for the same 429 path as usageDaysNow). */
export function callsServedNow(db: Store, accountId: string, fromMs: number, toMs: number): number {
  return callsServedBetween(db.$client, accountId, fromMs, toMs);
}

/** Calls served (allowed + would_throttle) in [fromMs, toMs), to the minute: what usage lines bill and a month window counts. */
export async function callsServed(db: Store, accountId: string, fromMs: number, toMs: number): Promise<number> {
  return callsServedNow(db, accountId, fromMs, toMs);
}
