import type Database from "better-sqlite3";
import { billingPeriodAt, startOfMinute, startOfUtcDay, type BillingPeriod } from "../../shared/limits";
import { SlidingMinute } from "./sliding-minute";
import { callsServedBetween } from "./usage-between";

/** Live counts of one account, loaded once from the rollups and then kept in memory. */
export class AccountCounters {
  readonly minute = new SlidingMinute();
  dayMs: number;
  dayUsed: number;
  period: BillingPeriod;
  /** Where the month window starts: the period start, or the current plan's start if later (unix ms). */
  monthFromMs: number;
  monthUsed: number;

  /**
   * @param planStartedAtMs when the current plan took effect: its monthly quota counts from there
   * within the period (null: from the period start).
   */
  constructor(
    /** The terms these counts were built for: other terms need other counts. */
    readonly billingAnchorMs: number,
    nowMs: number,
    persisted: { dayUsed: number; monthUsed: number; minuteUsed: number },
    readonly planStartedAtMs: number | null = null,
  ) {
    this.dayMs = startOfUtcDay(nowMs);
    this.dayUsed = persisted.dayUsed;
    this.period = billingPeriodAt(billingAnchorMs, nowMs);
    this.monthFromMs = monthWindowStart(this.period, planStartedAtMs);
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
      this.monthFromMs = this.period.startMs;
      this.monthUsed = 0;
    }
  }
}

/**
 * Where the month window of an account starts: the billing period's start, or the moment its current
 * plan took effect if that was later (a plan's quota counts from its own start, as a new
 * subscription item's usage does at Stripe).
 */
export function monthWindowStart(period: BillingPeriod, planStartedAtMs: number | null): number {
  return planStartedAtMs !== null && planStartedAtMs > period.startMs ? planStartedAtMs : period.startMs;
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
