import type Database from "better-sqlite3";
import { billingPeriodAt, startOfMinute, startOfUtcDay, type BillingPeriod } from "../../shared/limits";
import { SlidingMinute } from "./sliding-minute";

/** Live counts of one account, loaded once from the rollups and then kept in memory. */
export class AccountCounters {
  readonly minute = new SlidingMinute();
  dayMs: number;
  dayUsed: number;
  period: BillingPeriod;
  monthUsed: number;

  constructor(
    private readonly billingAnchorMs: number,
    nowMs: number,
    persisted: { dayUsed: number; monthUsed: number; minuteUsed: number },
  ) {
    this.dayMs = startOfUtcDay(nowMs);
    this.dayUsed = persisted.dayUsed;
    this.period = billingPeriodAt(billingAnchorMs, nowMs);
    this.monthUsed = persisted.monthUsed;
    // Per-minute rollups do not say which second a call came in: place the current minute's calls at
    // its start, so they leave the sliding window no later than they really would.
    if (persisted.minuteUsed > 0) this.minute.addAt(startOfMinute(nowMs), nowMs, persisted.minuteUsed);
  }

  /** Starts a new day or billing period when the clock has crossed into one. */
  roll(nowMs: number): void {
    const day = startOfUtcDay(nowMs);
    if (day !== this.dayMs) {
      this.dayMs = day;
      this.dayUsed = 0;
    }
    if (nowMs >= this.period.endMs || nowMs < this.period.startMs) {
      this.period = billingPeriodAt(this.billingAnchorMs, nowMs);
      this.monthUsed = 0;
    }
  }
}

/** Reads what the rollups hold for an account's current windows. */
export function persistedUsage(sqlite: Database.Database) {
  const day = sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_day where account_id = ? and day_ms = ?").pluck();
  const month = sqlite
    .prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_day where account_id = ? and day_ms >= ? and day_ms < ?")
    .pluck();
  const minute = sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and minute_ms = ?").pluck();
  return (accountId: string, billingAnchorMs: number, nowMs: number) => {
    const period = billingPeriodAt(billingAnchorMs, nowMs);
    return {
      dayUsed: day.get(accountId, startOfUtcDay(nowMs)) as number,
      monthUsed: month.get(accountId, period.startMs, period.endMs) as number,
      minuteUsed: minute.get(accountId, startOfMinute(nowMs)) as number,
    };
  };
}
