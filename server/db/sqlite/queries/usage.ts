import type Database from "better-sqlite3";
import { and, asc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import type { Catalog } from "../../../../shared/catalog";
import { billingPeriodAt, DAY_MS, monthWindowStart, startOfMinute, startOfUtcDay } from "../../../../shared/limits";
import { UNNAMED_METER, usageDay, usageMinute } from "../../schema";
import type { Db } from "../../client";

/**
 * The values of the `meter` column that hold one meter's counts: its id (what new rows carry), and
 * for the catalog's default meter also '' (rows written before meters were counted apart; see
 * `server/db/schema/usage.ts`). Every query of a meter reads `meter in (a, b)`.
 */
export type MeterColumn = readonly [id: string, alsoRead: string];

export function meterColumn(meterId: string, isDefault: boolean): MeterColumn {
  return [meterId, isDefault ? UNNAMED_METER : meterId];
}

/** The column values of a catalog meter (its default meter when none is named). */
export function meterColumnOf(catalog: Catalog, meterId: string = catalog.defaultMeter.id): MeterColumn {
  return meterColumn(meterId, meterId === catalog.defaultMeter.id);
}

type Statements = { days: Database.Statement; minutes: Database.Statement };
const prepared = new WeakMap<Database.Database, Statements>();

function statements(sqlite: Database.Database): Statements {
  let s = prepared.get(sqlite);
  if (!s) {
    s = {
      days: sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_day where account_id = ? and meter in (?, ?) and day_ms >= ? and day_ms < ?").pluck(),
      minutes: sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and meter in (?, ?) and minute_ms >= ? and minute_ms < ?").pluck(),
    };
    prepared.set(sqlite, s);
  }
  return s;
}

/**
 * Units of one meter served (allowed + would_throttle) in [fromMs, toMs), to the minute: whole UTC
 * days from the day rollup, the partial days at either end from the minute rollup. A billing period
 * that starts mid-day (a Free → paid switch) or a plan that started mid-period counts from its own minute.
 */
export function callsServedBetween(sqlite: Database.Database, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const s = statements(sqlite);
  const [m, also] = meter;
  const from = startOfMinute(fromMs);
  const firstFullDay = startOfUtcDay(from) === from ? from : startOfUtcDay(from) + DAY_MS;
  const lastFullDayEnd = startOfUtcDay(toMs);
  if (firstFullDay >= lastFullDayEnd) return s.minutes.get(accountId, m, also, from, toMs) as number;
  return (
    (s.minutes.get(accountId, m, also, from, firstFullDay) as number) +
    (s.days.get(accountId, m, also, firstFullDay, lastFullDayEnd) as number) +
    (s.minutes.get(accountId, m, also, lastFullDayEnd, toMs) as number)
  );
}

/** Reads what the rollups hold for an account's current windows on one meter. */
export function persistedUsage(sqlite: Database.Database) {
  const day = sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_day where account_id = ? and meter in (?, ?) and day_ms = ?").pluck();
  const minute = sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and meter in (?, ?) and minute_ms = ?").pluck();
  return (accountId: string, meter: MeterColumn, billingAnchorMs: number, nowMs: number, planStartedAtMs: number | null = null, quotaWindow: "month" | "year" = "month") => {
    const period = billingPeriodAt(billingAnchorMs, nowMs, quotaWindow);
    return {
      dayUsed: day.get(accountId, meter[0], meter[1], startOfUtcDay(nowMs)) as number,
      monthUsed: callsServedBetween(sqlite, accountId, meter, monthWindowStart(period, planStartedAtMs), period.endMs),
      minuteUsed: minute.get(accountId, meter[0], meter[1], startOfMinute(nowMs)) as number,
    };
  };
}

// ---- off the hot path: the portal's and the console's charts, detection, the plan advisor ----------

/** One account's counts on one meter for one UTC day, as the rollup holds them (rows of '' and of the meter's id summed). */
export type UsageDayRow = Omit<typeof usageDay.$inferSelect, "meter">;

/** One minute's counts summed over the account's keys. */
export interface UsageMinuteRow {
  minuteMs: number;
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

const meterIn = (column: typeof usageDay.meter | typeof usageMinute.meter, meter: MeterColumn) => (meter[0] === meter[1] ? eq(column, meter[0]) : inArray(column, [meter[0], meter[1]]));

// A day of the default meter can have a row under '' and one under its id (the day meters arrived): summed, the busier peak.
export const dayColumns = {
  dayMs: usageDay.dayMs,
  accountId: usageDay.accountId,
  allowed: sql<number>`sum(${usageDay.allowed})`,
  wouldThrottle: sql<number>`sum(${usageDay.wouldThrottle})`,
  throttled: sql<number>`sum(${usageDay.throttled})`,
  ceiling: sql<number>`sum(${usageDay.ceiling})`,
  peakMinute: sql<number>`max(${usageDay.peakMinute})`,
};

/**
 * The account's day rows of one meter from `fromDayMs` to `toDayMs` (both included; no end when absent).
 * Synchronous, for the plan advisor's answer to the meter's 429 (see PlanAdvisor.switchFor);
 * everything else reads through usageDays.
 */
export function usageDaysNow(db: Db, accountId: string, meter: MeterColumn, fromDayMs: number, toDayMs?: number): UsageDayRow[] {
  const upTo = toDayMs === undefined ? undefined : lte(usageDay.dayMs, toDayMs);
  return db
    .select(dayColumns)
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), meterIn(usageDay.meter, meter), gte(usageDay.dayMs, fromDayMs), upTo))
    .groupBy(usageDay.dayMs)
    .orderBy(asc(usageDay.dayMs))
    .all();
}

export async function usageDays(db: Db, accountId: string, meter: MeterColumn, fromDayMs: number, toDayMs?: number): Promise<UsageDayRow[]> {
  return usageDaysNow(db, accountId, meter, fromDayMs, toDayMs);
}

/** The account's row of one meter for one UTC day, if it has one. */
export async function usageDayOf(db: Db, accountId: string, meter: MeterColumn, dayMs: number): Promise<UsageDayRow | undefined> {
  return usageDaysNow(db, accountId, meter, dayMs, dayMs)[0];
}

/** Per-minute counts of one meter summed over the account's keys, for the minutes in [fromMs, toMs]. */
export async function usageMinutes(db: Db, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<UsageMinuteRow[]> {
  return db
    .select({
      minuteMs: usageMinute.minuteMs,
      allowed: sql<number>`sum(${usageMinute.allowed})`,
      wouldThrottle: sql<number>`sum(${usageMinute.wouldThrottle})`,
      throttled: sql<number>`sum(${usageMinute.throttled})`,
      ceiling: sql<number>`sum(${usageMinute.ceiling})`,
    })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), meterIn(usageMinute.meter, meter), gte(usageMinute.minuteMs, fromMs), lte(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    .all();
}

/** The first UTC day the account has usage of the meter recorded for (unix ms), or null. Synchronous for the same 429 path as usageDaysNow. */
export function firstUsageDayNow(db: Db, accountId: string, meter: MeterColumn): number | null {
  const row = db
    .select({ dayMs: sql<number | null>`min(${usageDay.dayMs})` })
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), meterIn(usageDay.meter, meter)))
    .get();
  return row?.dayMs ?? null;
}

export async function firstUsageDay(db: Db, accountId: string, meter: MeterColumn): Promise<number | null> {
  return firstUsageDayNow(db, accountId, meter);
}

/** Whether any usage was ever counted for the account, on any meter. */
export async function hasUsage(db: Db, accountId: string): Promise<boolean> {
  return db.select({ one: sql<number>`1` }).from(usageDay).where(eq(usageDay.accountId, accountId)).limit(1).get() !== undefined;
}

/** callsServedBetween through the store (synchronous for the same 429 path as usageDaysNow). */
export function callsServedNow(db: Db, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): number {
  return callsServedBetween(db.$client, accountId, meter, fromMs, toMs);
}

/** Units of one meter served (allowed + would_throttle) in [fromMs, toMs), to the minute: what usage lines bill and a month window counts. */
export async function callsServed(db: Db, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<number> {
  return callsServedNow(db, accountId, meter, fromMs, toMs);
}
