import type Database from "better-sqlite3";
import { billingPeriodAt, DAY_MS, monthWindowStart, startOfMinute, startOfUtcDay } from "../../../shared/limits";

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
  return (accountId: string, billingAnchorMs: number, nowMs: number, planStartedAtMs: number | null = null) => {
    const period = billingPeriodAt(billingAnchorMs, nowMs);
    return {
      dayUsed: day.get(accountId, startOfUtcDay(nowMs)) as number,
      monthUsed: callsServedBetween(sqlite, accountId, monthWindowStart(period, planStartedAtMs), period.endMs),
      minuteUsed: minute.get(accountId, startOfMinute(nowMs)) as number,
    };
  };
}
