import { and, asc, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import { billingPeriodAt, DAY_MS, monthWindowStart, startOfMinute, startOfUtcDay } from "../../../../shared/limits";
import type { MeterColumn, UsageDayRow, UsageMinuteRow } from "../../queries/usage";
import type { PgDb } from "../client";
import { usageDay, usageMinute } from "../schema";

/**
 * The PostgreSQL side of `server/db/queries/usage.ts`: the same reads, the same answers. The
 * synchronous ones there (`usageDaysNow`, `firstUsageDayNow`, `callsServedNow`) have no twin: they
 * serve the plan advisor's answer inside the meter's synchronous check, which PostgreSQL cannot give;
 * on PostgreSQL that path reads through the asynchronous ones. `callsServedBetween` and
 * `persistedUsage` take the pool instead of a SQLite handle and answer with a promise.
 *
 * `sum` of a bigint is a numeric in PostgreSQL and node-postgres hands bigints and numerics over as
 * strings: every aggregate here is mapped to a number.
 */
export type { MeterColumn, UsageDayRow, UsageMinuteRow };
export { meterColumn, meterColumnOf } from "../../queries/usage";

const meterIn = (column: typeof usageDay.meter | typeof usageMinute.meter, meter: MeterColumn) => (meter[0] === meter[1] ? eq(column, meter[0]) : inArray(column, [meter[0], meter[1]]));

/** A day row's columns: the two rows a day of the default meter can have ('' and its id) summed, the busier peak. */
export const dayColumns = {
  dayMs: usageDay.dayMs,
  accountId: usageDay.accountId,
  allowed: sql<number>`sum(${usageDay.allowed})`.mapWith(Number),
  wouldThrottle: sql<number>`sum(${usageDay.wouldThrottle})`.mapWith(Number),
  throttled: sql<number>`sum(${usageDay.throttled})`.mapWith(Number),
  ceiling: sql<number>`sum(${usageDay.ceiling})`.mapWith(Number),
  peakMinute: sql<number>`max(${usageDay.peakMinute})`.mapWith(Number),
};

/** Units served (allowed + would_throttle) from the minute rollup in [fromMs, toMs): a scalar subquery. */
const servedMinutes = (accountId: string, meter: MeterColumn, fromMs: number, toMs: number): SQL =>
  sql`(select coalesce(sum(${usageMinute.allowed} + ${usageMinute.wouldThrottle}), 0) from ${usageMinute} where ${and(eq(usageMinute.accountId, accountId), meterIn(usageMinute.meter, meter), gte(usageMinute.minuteMs, fromMs), sql`${usageMinute.minuteMs} < ${toMs}`)})`;

/** Units served from the day rollup on the whole UTC days in [fromDayMs, toDayMs): a scalar subquery. */
const servedDays = (accountId: string, meter: MeterColumn, fromDayMs: number, toDayMs: number): SQL =>
  sql`(select coalesce(sum(${usageDay.allowed} + ${usageDay.wouldThrottle}), 0) from ${usageDay} where ${and(eq(usageDay.accountId, accountId), meterIn(usageDay.meter, meter), gte(usageDay.dayMs, fromDayMs), sql`${usageDay.dayMs} < ${toDayMs}`)})`;

/**
 * The expression of units served in [fromMs, toMs), split as the SQLite side splits it: whole UTC
 * days from the day rollup, the partial days at either end from the minute rollup. One expression,
 * so the three reads are one round trip.
 */
function servedBetween(accountId: string, meter: MeterColumn, fromMs: number, toMs: number): SQL {
  if (toMs <= fromMs) return sql`0`;
  const from = startOfMinute(fromMs);
  const firstFullDay = startOfUtcDay(from) === from ? from : startOfUtcDay(from) + DAY_MS;
  const lastFullDayEnd = startOfUtcDay(toMs);
  if (firstFullDay >= lastFullDayEnd) return servedMinutes(accountId, meter, from, toMs);
  return sql`${servedMinutes(accountId, meter, from, firstFullDay)} + ${servedDays(accountId, meter, firstFullDay, lastFullDayEnd)} + ${servedMinutes(accountId, meter, lastFullDayEnd, toMs)}`;
}

/** Units of one meter served (allowed + would_throttle) in [fromMs, toMs), to the minute (see the SQLite side). */
export async function callsServedBetween(db: PgDb, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<number> {
  if (toMs <= fromMs) return 0;
  const { rows } = await db.execute<{ n: string }>(sql`select ${servedBetween(accountId, meter, fromMs, toMs)} as n`);
  return Number(rows[0]!.n);
}

/**
 * Units served in one day's row or one minute's rows. By `=`, as the SQLite side reads them: the
 * planner estimates it from the column's distinct values, where a range one millisecond wide looks
 * empty to it and sends it down the primary key, through the minute's rows of every key.
 */
const servedOn = (table: typeof usageDay | typeof usageMinute, at: number, accountId: string, meter: MeterColumn): SQL => {
  const atColumn = table === usageDay ? usageDay.dayMs : usageMinute.minuteMs;
  return sql`(select coalesce(sum(${table.allowed} + ${table.wouldThrottle}), 0) from ${table} where ${and(eq(table.accountId, accountId), meterIn(table.meter, meter), eq(atColumn, at))})`;
};

/** Reads what the rollups hold for an account's current windows on one meter, in one round trip. */
export function persistedUsage(db: PgDb) {
  return async (accountId: string, meter: MeterColumn, billingAnchorMs: number, nowMs: number, planStartedAtMs: number | null = null, quotaWindow: "month" | "year" = "month") => {
    const period = billingPeriodAt(billingAnchorMs, nowMs, quotaWindow);
    const { rows } = await db.execute<{ day: string; month: string; minute: string }>(
      sql`select ${servedOn(usageDay, startOfUtcDay(nowMs), accountId, meter)} as day, ${servedBetween(accountId, meter, monthWindowStart(period, planStartedAtMs), period.endMs)} as month, ${servedOn(usageMinute, startOfMinute(nowMs), accountId, meter)} as minute`,
    );
    const row = rows[0]!;
    return { dayUsed: Number(row.day), monthUsed: Number(row.month), minuteUsed: Number(row.minute) };
  };
}

/** The account's day rows of one meter from `fromDayMs` to `toDayMs` (both included; no end when absent), oldest first. */
export async function usageDays(db: PgDb, accountId: string, meter: MeterColumn, fromDayMs: number, toDayMs?: number): Promise<UsageDayRow[]> {
  const upTo = toDayMs === undefined ? undefined : lte(usageDay.dayMs, toDayMs);
  return db
    .select(dayColumns)
    .from(usageDay)
    .where(and(eq(usageDay.accountId, accountId), meterIn(usageDay.meter, meter), gte(usageDay.dayMs, fromDayMs), upTo))
    // account_id is one value here; PostgreSQL wants every selected column grouped or aggregated.
    .groupBy(usageDay.dayMs, usageDay.accountId)
    .orderBy(asc(usageDay.dayMs));
}

export async function usageDayOf(db: PgDb, accountId: string, meter: MeterColumn, dayMs: number): Promise<UsageDayRow | undefined> {
  return (await usageDays(db, accountId, meter, dayMs, dayMs))[0];
}

/** Per-minute counts of one meter summed over the account's keys, for the minutes in [fromMs, toMs], oldest first. */
export async function usageMinutes(db: PgDb, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<UsageMinuteRow[]> {
  return db
    .select({
      minuteMs: usageMinute.minuteMs,
      allowed: sql<number>`sum(${usageMinute.allowed})`.mapWith(Number),
      wouldThrottle: sql<number>`sum(${usageMinute.wouldThrottle})`.mapWith(Number),
      throttled: sql<number>`sum(${usageMinute.throttled})`.mapWith(Number),
      ceiling: sql<number>`sum(${usageMinute.ceiling})`.mapWith(Number),
    })
    .from(usageMinute)
    .where(and(eq(usageMinute.accountId, accountId), meterIn(usageMinute.meter, meter), gte(usageMinute.minuteMs, fromMs), lte(usageMinute.minuteMs, toMs)))
    .groupBy(usageMinute.minuteMs)
    // SQLite's grouping hands the minutes over in order; a hash aggregate here would not.
    .orderBy(asc(usageMinute.minuteMs));
}

/**
 * The least of each meter value's first day: each `min` is the first entry of the primary key's
 * (account, meter) range, a few buffers, where `min` over `meter in (a, b)` reads every day row the
 * account has (one heap page each, as days of many accounts are written together).
 */
export async function firstUsageDay(db: PgDb, accountId: string, meter: MeterColumn): Promise<number | null> {
  const first = (m: string) => sql`(select min(${usageDay.dayMs}) from ${usageDay} where ${and(eq(usageDay.accountId, accountId), eq(usageDay.meter, m))})`;
  const { rows } = await db.execute<{ day: string | null }>(sql`select ${meter[0] === meter[1] ? first(meter[0]) : sql`least(${first(meter[0])}, ${first(meter[1])})`} as day`);
  const day = rows[0]?.day;
  return day === null || day === undefined ? null : Number(day);
}

export async function hasUsage(db: PgDb, accountId: string): Promise<boolean> {
  const rows = await db.select({ one: sql<number>`1` }).from(usageDay).where(eq(usageDay.accountId, accountId)).limit(1);
  return rows.length > 0;
}

export async function callsServed(db: PgDb, accountId: string, meter: MeterColumn, fromMs: number, toMs: number): Promise<number> {
  return callsServedBetween(db, accountId, meter, fromMs, toMs);
}
