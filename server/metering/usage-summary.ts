import { startOfUtcDay, type LimitStatus } from "../../shared/limits";
import type { Store } from "../db/queries/store";
import { usageDayOf } from "../db/queries/usage";
import type { Account } from "../accounts/accounts";
import type { Meter } from "./meter";

export interface UsageCounts {
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
}

export interface UsageOverview {
  period: { startMs: number; endMs: number };
  limits: LimitStatus[];
  today: UsageCounts;
  /** When the current plan took effect, if that was today (UTC): today's counts before it were decided against the previous plan's caps. */
  planStartedTodayAtMs: number | null;
}

/**
 * Where the account stands in each window of its plan. The limits come from the meter's live
 * counters (the numbers the next call is decided on); today's breakdown from the rollups.
 */
export async function getUsageOverview(db: Store, meter: Meter, account: Account, nowMs: number): Promise<UsageOverview> {
  const { limits, period } = meter.limitsFor(account.id);
  const dayMs = startOfUtcDay(nowMs);
  const todayRow = await usageDayOf(db, account.id, dayMs);
  const today: UsageCounts = {
    allowed: todayRow?.allowed ?? 0,
    wouldThrottle: todayRow?.wouldThrottle ?? 0,
    throttled: todayRow?.throttled ?? 0,
    ceiling: todayRow?.ceiling ?? 0,
  };
  const started = account.planStartedAtMs;
  return { period, limits, today, planStartedTodayAtMs: started !== null && started > dayMs && started <= nowMs ? started : null };
}
