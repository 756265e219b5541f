import { billingPeriodAt, monthWindowStart, startOfMinute, startOfUtcDay, type BillingPeriod } from "../../shared/limits";
import type { BillingInterval } from "../../shared/plans";
import { SlidingMinute } from "./sliding-minute";

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
    /** What the month window spans: a month from the anchor, or the billing year (a yearly quota). */
    readonly quotaWindow: BillingInterval = "month",
  ) {
    this.dayMs = startOfUtcDay(nowMs);
    this.dayUsed = persisted.dayUsed;
    this.period = billingPeriodAt(billingAnchorMs, nowMs, quotaWindow);
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
      this.period = billingPeriodAt(this.billingAnchorMs, nowMs, this.quotaWindow);
      this.monthFromMs = this.period.startMs;
      this.monthUsed = 0;
    }
  }
}
